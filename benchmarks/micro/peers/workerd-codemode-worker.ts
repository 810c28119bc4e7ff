// The parent worker of the workerd-codemode peer, bundled with @cloudflare/codemode by esbuild and
// run by workerd (not by Node). Each POST `{ body }` runs the body through codemode's own
// DynamicWorkerExecutor: a new isolate loaded through the Worker Loader binding (`env.LOADER`)
// for every run, whose tool calls come back here over Workers RPC. `ping` lives in this worker,
// as a codemode tool does. codemode exposes tools as `codemode.<name>(input)`, so the body is
// wrapped in an async arrow that binds `ping` first.
import { DynamicWorkerExecutor } from '@cloudflare/codemode';
import type { DynamicWorkerExecutorOptions } from '@cloudflare/codemode';

interface Env {
  readonly LOADER: DynamicWorkerExecutorOptions['loader'];
}

const tools = { ping: async (input: unknown) => (input as { i: number }).i };

/** The worker's fetch handler: GET answers `ok` (the harness's readiness probe), POST runs a body. */
export const handler = {
  async fetch(request: Request, env: Env): Promise<Response> {
    if (request.method !== 'POST') return new Response('ok');
    const { body } = (await request.json()) as { body: string };
    const executor = new DynamicWorkerExecutor({ loader: env.LOADER });
    const outcome = await executor.execute(`async () => {\nconst ping = codemode.ping;\n${body}\n}`, [{ name: 'codemode', fns: tools }]);
    return Response.json({ result: outcome.result ?? null, error: outcome.error ?? null });
  },
};
