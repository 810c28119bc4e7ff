// QuickJS compiled to WebAssembly (quickjs-emscripten), the usual choice of JavaScript sandbox
// without a native addon. Each run gets a new context of one runtime (memory limit 128 MB, a
// 10 s deadline), as codecall gives each run a fresh context. `ping` returns a QuickJS promise that
// the host settles with the answer's JSON, then runs the runtime's pending jobs: the pattern
// quickjs-emscripten documents for async host functions without asyncify.
import { getQuickJS, shouldInterruptAfterDeadline } from 'quickjs-emscripten';
import { installedVersion } from './peer.ts';
import type { PeerHarness } from './peer.ts';

/** QuickJS (WebAssembly) in this process; guest code runs on the host's own thread. */
export async function createPeer(): Promise<PeerHarness> {
  const quickjs = await getQuickJS();
  const runtime = quickjs.newRuntime();
  runtime.setMemoryLimit(128 * 1024 * 1024);
  const answer = async (inputJson: string): Promise<string> => JSON.stringify((JSON.parse(inputJson) as { i: number }).i);
  const run = async (body: string): Promise<unknown> => {
    const context = runtime.newContext();
    runtime.setInterruptHandler(shouldInterruptAfterDeadline(Date.now() + 10_000));
    try {
      const bridge = context.newFunction('__ping', (inputHandle) => {
        const deferred = context.newPromise();
        void answer(context.getString(inputHandle)).then((outputJson) => {
          if (!context.alive) return;
          const output = context.newString(outputJson);
          deferred.resolve(output);
          output.dispose();
          deferred.dispose();
          runtime.executePendingJobs();
        });
        return deferred.handle;
      });
      context.setProp(context.global, '__ping', bridge);
      bridge.dispose();
      const started = context.unwrapResult(
        context.evalCode(`const ping = (input) => __ping(JSON.stringify(input)).then(JSON.parse);\n(async () => {\n${body}\n})().then((value) => JSON.stringify(value === undefined ? null : value))`),
      );
      const settled = context.resolvePromise(started);
      started.dispose();
      runtime.executePendingJobs();
      const result = await settled;
      if (result.error !== undefined) {
        const error = context.dump(result.error) as unknown;
        result.error.dispose();
        throw new Error(typeof error === 'object' && error !== null && 'message' in error ? String(error.message) : String(error));
      }
      const json = context.getString(result.value);
      result.value.dispose();
      return JSON.parse(json) as unknown;
    } finally {
      context.dispose();
    }
  };
  return {
    label: `quickjs-emscripten ${installedVersion('quickjs-emscripten')}`,
    isolation: 'QuickJS in WebAssembly, in the host process and on its thread (a busy guest blocks the event loop)',
    run,
    dispose: async () => runtime.dispose(),
  };
}
