import { defineTool, runCode } from '@codecall/core';
import { createIsolatedVmSandbox } from '@codecall/sandbox-isolated-vm';
import { z } from 'zod';
const ping = defineTool({ name: 'ping', description: 'n', input: z.object({ i: z.number() }), execute: async ({ i }) => i });
const sup = createIsolatedVmSandbox({ mode: 'supervised', poolSize: Number(process.env.POOL ?? 2) });
const ip = createIsolatedVmSandbox({ mode: 'in-process' });
await sup.ready();
const limits = { maxToolCalls: 2000, maxConcurrentToolCalls: 1000 };
const code = 'for (let i = 0; i < 1000; i++) await ping({ i });';
const res: Record<string, number[]> = { sup: [], ip: [] };
for (let r = 0; r < 10; r++) for (const [k, sb] of [['sup', sup], ['ip', ip]] as const) {
  const t0 = performance.now();
  const out = await runCode({ sandbox: sb, code, tools: [ping], limits });
  res[k]!.push(performance.now() - t0);
  if (out.type !== 'success') throw new Error(JSON.stringify(out));
}
const med = (a: number[]) => a.slice().sort((x, y) => x - y)[a.length >> 1]!;
console.log(Object.entries(res).map(([k, v]) => `${k} ${med(v).toFixed(1)} µs/call`).join('  '));
await sup.dispose(); await ip.dispose();
