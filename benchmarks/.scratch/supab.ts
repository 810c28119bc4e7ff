// A/B of supervisor child scripts: SupervisedEngine driven directly, alternating rounds.
import { copyFileSync } from 'node:fs';
import { SupervisedEngine } from '../../packages/sandbox-isolated-vm/dist/supervised-engine.js';
import { IsolateEngine } from '../../packages/sandbox-isolated-vm/dist/isolate-engine.js';
const dist = new URL('../../packages/sandbox-isolated-vm/dist/', import.meta.url).pathname;
copyFileSync('/tmp/supervisor-child.before.js', dist + 'supervisor-child.before.js');
const rounds = Number(process.argv[2] ?? 10);
const calls = Number(process.argv[3] ?? 1000);
const mk = (file: string) => new SupervisedEngine({ poolSize: 1, isolatesPerProcess: Number(process.env.IPP ?? 4), idleTimeoutMs: 10_000, sandboxId: 'ab', nodeExecutable: process.env.NODEX ?? process.execPath, childScript: dist + file });
const engines = { old: mk('supervisor-child.before.js'), new: mk('supervisor-child.js') };
const inproc = new IsolateEngine({ poolSize: 1, sandboxId: 'ip' });
await Promise.all(Object.values(engines).map((e) => e.ready()));
const limits = { timeoutMs: 30_000, maxToolCalls: Number(process.env.MTC ?? 100000), maxConcurrentToolCalls: 1000, toolTimeoutMs: 1_000, maxOutputBytes: 1_024, maxValueBytes: 1_000_000, memoryLimitBytes: 128 * 1024 * 1024 };
const tools = [{ name: 'ping', identifier: 'ping', description: '', inputSchema: {} }];
const code = `for (let i = 0; i < ${calls}; i++) await ping({ i });`;
const req = () => ({ code, language: 'javascript', tools, limits, abortSignal: new AbortController().signal, callTool: async (c: { inputJson?: string }) => ({ type: 'success' as const, outputJson: c.inputJson }) });
const res: Record<string, number[]> = { old: [], new: [], inproc: [] };
for (let r = 0; r < rounds; r++) {
  for (const v of (process.env.ONLY ?? (r % 2 ? 'old,new,inproc' : 'inproc,new,old')).split(',')) {
    await new Promise((s) => setTimeout(s, Number(process.env.GAP ?? 30)));
    const t0 = performance.now();
    const out = v === 'inproc' ? await inproc.execute(req() as never) : await engines[v as 'old' | 'new'].execute(req() as never, code);
    res[v]!.push((performance.now() - t0) * 1000 / calls);
    if (out.type !== 'success') throw new Error(JSON.stringify(out));
  }
}
const med = (a: number[]) => a.length ? a.slice().sort((x, y) => x - y)[a.length >> 1]! : NaN;
console.log(Object.entries(res).map(([k, v]) => `${k} ${med(v).toFixed(1)} µs/call`).join('  '), ` new/old ${(med(res.new!) / med(res.old!)).toFixed(3)}`);
await engines.old.dispose(); await engines.new.dispose(); await inproc.dispose();
