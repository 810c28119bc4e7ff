// Cloudflare's codemode (@cloudflare/codemode) on workerd, Cloudflare's open-source Workers
// runtime, started here as a child process on loopback. A run is one HTTP request from this
// process to the parent worker (workerd-codemode-worker.ts), which hands the body to codemode's
// DynamicWorkerExecutor: a new isolate per run, loaded through the Worker Loader binding, with
// each tool call an RPC back to the parent worker, where `ping` is answered. The figures include
// the HTTP hop (keep-alive) that a Node host would also pay to use it.
//
// The Worker Loader binding is experimental in workerd: it runs only with `--experimental`.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { createRequire } from 'node:module';
import { build } from 'esbuild';
import { installedVersion } from './peer.ts';
import type { PeerHarness } from './peer.ts';

const startupTimeoutMs = 20_000;

// The workerd package's main module (CommonJS) exports the binary's path as `default`.
const workerd = (createRequire(import.meta.url)('workerd') as { default: string }).default;

// The generated workerd configuration: one loopback socket on a port the kernel picks (workerd
// reports it on its control descriptor), the parent worker, and the loader binding codemode needs.
const configText = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .parent) ],
  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "main") ],
);
const parent :Workerd.Worker = (
  modules = [ (name = "worker.js", esModule = embed "worker.js") ],
  compatibilityDate = "2025-06-01",
  compatibilityFlags = ["nodejs_compat"],
  bindings = [ (name = "LOADER", workerLoader = ()) ],
);
`;

function send(agent: Agent, port: number, method: 'GET' | 'POST', payload?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: '127.0.0.1', port, method, path: '/', agent, headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

// Resolves with the port workerd reports for the `http` socket, or rejects with its output.
function listening(child: ChildProcess, output: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    let control = '';
    const fail = (why: string): void => {
      clearTimeout(timer);
      reject(new Error(`workerd did not start (${why}): ${output().trim() || 'no output'}`));
    };
    const timer = setTimeout(() => fail(`no listen event within ${startupTimeoutMs} ms`), startupTimeoutMs);
    child.once('error', (error) => fail(error.message));
    child.once('exit', (code, signal) => fail(`exited with ${signal ?? `code ${String(code)}`}`));
    (child.stdio[3] as Readable).on('data', (chunk: Buffer) => {
      control += chunk.toString('utf8');
      const lines = control.split('\n');
      control = lines.pop() ?? '';
      for (const line of lines) {
        let event: { event?: string; socket?: string; port?: number };
        try {
          event = JSON.parse(line) as typeof event;
        } catch {
          continue; // not an event line
        }
        if (event.event === 'listen' && event.socket === 'http' && typeof event.port === 'number') {
          clearTimeout(timer);
          resolve(event.port);
        }
      }
    });
  });
}

/** Bundles the parent worker, starts workerd on loopback, and waits until it answers. */
export async function createPeer(): Promise<PeerHarness> {
  const directory = mkdtempSync(join(tmpdir(), 'codecall-peer-workerd-'));
  let child: ChildProcess | undefined;
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const stop = (): void => {
    child?.kill('SIGKILL');
  };
  try {
    // workerd cannot resolve node_modules: the worker and codemode (with acorn) go in one module.
    // The stdin entry gives the bundle the default export a worker module needs.
    await build({
      stdin: { contents: "export { handler as default } from './workerd-codemode-worker.ts';", resolveDir: import.meta.dirname, loader: 'ts' },
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      mainFields: ['module', 'main'],
      conditions: ['workerd', 'worker', 'import'],
      external: ['cloudflare:*', 'node:*'],
      outfile: join(directory, 'worker.js'),
      logLevel: 'silent',
    });
    writeFileSync(join(directory, 'config.capnp'), configText);
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-4_000);
    };
    child = spawn(workerd, ['serve', '--experimental', '--control-fd', '3', join(directory, 'config.capnp'), 'config'], { cwd: directory, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    process.once('exit', stop);
    const port = await listening(child, () => output);
    const probe = await send(agent, port, 'GET');
    if (probe.status !== 200) throw new Error(`workerd answered its readiness probe with HTTP ${probe.status}`);
    const running = child;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    return {
      label: `@cloudflare/codemode ${installedVersion('@cloudflare/codemode')} on workerd ${installedVersion('workerd')}`,
      isolation: 'a new workerd isolate per run (Worker Loader), in a workerd process reached over loopback HTTP; tool calls are Workers RPC to the parent worker',
      run: async (body) => {
        const answer = await send(agent, port, 'POST', JSON.stringify({ body }));
        if (answer.status !== 200) throw new Error(`workerd answered HTTP ${answer.status}: ${answer.text.slice(0, 200)}`);
        const { result, error } = JSON.parse(answer.text) as { result: unknown; error: string | null };
        if (error !== null) throw new Error(error);
        return result;
      },
      dispose: async () => {
        agent.destroy();
        process.off('exit', stop);
        if (running.exitCode === null && running.signalCode === null) {
          running.kill('SIGTERM');
          const force = setTimeout(() => running.kill('SIGKILL'), 3_000);
          await exited;
          clearTimeout(force);
        }
        rmSync(directory, { recursive: true, force: true });
      },
    };
  } catch (error) {
    stop();
    process.off('exit', stop);
    agent.destroy();
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }
}
