// Raw isolated-vm baselines for the isolated-vm micro-benchmark: the same workloads with nothing
// of codecall in between (no runCode, no dispatcher, no validation, no prelude, no pool).
import ivm from 'isolated-vm';

/** A prepared isolate + context with the minimal asynchronous bridge (fire-and-forget post + apply). */
export interface RawHarness {
  /**
   * Evaluates `code`, which must end by calling `finish()` or `finish(value)`; resolves when it
   * does, with the value (JSON-copied; undefined for `finish()`), after checking that the host saw
   * `expectedCalls` calls (default 0).
   */
  readonly run: (code: string, expectedCalls?: number) => Promise<unknown>;
  /** Creates a fresh context for the next `run` (outside any timing). */
  readonly freshContext: () => Promise<void>;
  readonly dispose: () => void;
}

/** New isolate → context → trivial code → dispose: what a cold start costs without codecall. */
export async function rawColdStart(): Promise<void> {
  const isolate = new ivm.Isolate({ memoryLimit: 128 });
  try {
    const context = await isolate.createContext();
    await context.eval('1 + 1', { timeout: 1_000 });
  } finally {
    isolate.dispose();
  }
}

/**
 * How the host hands an answer back to the guest: `apply` (a promise per answer, which tells the
 * host when the guest's code after it has run) or `applyIgnored` (fire and forget, faster: no
 * promise is made or settled on the host).
 */
export type RawDelivery = 'apply' | 'applyIgnored';

/**
 * The raw bridges isolated-vm 6 offers for async host functions: the guest posts
 * `(id, name, json)` through an ignored Callback; the host answers by applying a guest resolver,
 * with `apply` or `applyIgnored` (`delivery`; both keep guest code off the host's thread).
 * `handler` gets the input JSON text and returns the output JSON text.
 */
export async function createRawHarness(handler: (inputJson: string) => Promise<string>, delivery: RawDelivery = 'apply'): Promise<RawHarness> {
  const isolate = new ivm.Isolate({ memoryLimit: 128 });
  let context: ivm.Context | undefined;
  let resolver: ivm.Reference | undefined;
  let finished: ((valueJson: string) => void) | undefined;
  let runToken = 0;
  let callsSeen = 0;
  const post = new ivm.Callback(
    (kind: number, id: number, inputJson: string) => {
      if (kind === 1) {
        // Only the finish of the current run counts.
        if (id === runToken) finished?.(inputJson);
        return;
      }
      callsSeen++;
      handler(inputJson)
        .then((outputJson): Promise<unknown> | undefined => {
          if (delivery === 'apply') return resolver?.apply(undefined, [id, outputJson], { timeout: 10_000 });
          resolver?.applyIgnored(undefined, [id, outputJson], { timeout: 10_000 });
          return undefined;
        })
        .catch(() => undefined);
    },
    { ignored: true },
  );
  const freshContext = async (): Promise<void> => {
    context?.release();
    context = await isolate.createContext();
    resolver = await context.evalClosure<{ result: { reference: true } }>(
      `const post = $0; const pending = {}; let next = 0;
       globalThis.call = (input) => new Promise((resolve) => { const id = ++next; pending[id] = resolve; post(0, id, JSON.stringify(input)); });
       globalThis.finish = (token, value) => post(1, token, value === undefined ? '' : JSON.stringify(value));
       return (id, json) => { const resolve = pending[id]; delete pending[id]; resolve(JSON.parse(json)); };`,
      [post],
      { result: { reference: true } },
    );
  };
  await freshContext();
  return {
    run: (code, expectedCalls = 0) =>
      new Promise<unknown>((resolve, reject) => {
        const token = ++runToken;
        callsSeen = 0;
        finished = (valueJson) => (callsSeen === expectedCalls ? resolve(valueJson === '' ? undefined : JSON.parse(valueJson)) : reject(new Error(`raw run made ${callsSeen} host calls, expected ${expectedCalls}`)));
        // The run's token goes first: `finish()` → `finish(7, )`, `finish(value)` → `finish(7, value)`.
        context?.eval(code.replaceAll('finish(', `finish(${token}, `), { timeout: 10_000 }).catch(reject);
      }),
    freshContext,
    dispose: () => isolate.dispose(),
  };
}
