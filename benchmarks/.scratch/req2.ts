import { createIsolatedVmSandbox } from '@codecall/sandbox-isolated-vm';
const sup = createIsolatedVmSandbox({ mode: 'supervised' });
await sup.ready();
const limits = { timeoutMs: 30000, memoryLimitBytes: 134217728, maxToolCalls: 1000, maxConcurrentToolCalls: 16, toolTimeoutMs: 30000, maxOutputBytes: 64000, maxValueBytes: 8388608 };
const tools = [{ name: 'ping', identifier: 'ping' }];
const code = 'for (let i = 0; i < 1000; i++) await ping({ i });';
const variant = process.env.V ?? 'echo';
for (let r = 0; r < 6; r++) {
  const t0 = performance.now();
  const out = await sup.execute({ executionId: 'x' + r, language: 'javascript', code, tools, limits, abortSignal: new AbortController().signal, validation: false,
    callTool: variant === 'echo' ? async (c: any) => ({ type: 'success', outputJson: c.inputJson }) : async (c: any) => ({ type: 'success', outputJson: String(JSON.parse(c.inputJson).i) }) } as any);
  console.log(variant, ((performance.now() - t0)).toFixed(1), 'µs/call', out.type);
}
await sup.dispose();
