// @utcp/code-mode: UTCP's code mode, which runs each program in a new isolated-vm isolate and
// answers tool calls with `applySyncPromise` (a call blocks the guest until the host answers, so
// calls under Promise.all run one after another). The tool is registered through
// @utcp/direct-call, UTCP's in-process protocol (the one code-mode's README starts with): one host
// function returns the manual, another answers `ping`. Tools appear in the guest as
// `<manual>.<tool>`, so each body gets `const ping = (input) => peer.ping(input);` in front.
//
// The UTCP packages log two lines to the host's console on every tool call, with no setting to
// turn that off; the harness silences console.log/info/warn/error while a run is in flight (the
// suite runs one thing at a time), so the figures leave that cost out.
import { CodeModeUtcpClient } from '@utcp/code-mode';
import { addFunctionToUtcpDirectCall, unregisterCallable } from '@utcp/direct-call';
import { installedVersion } from './peer.ts';
import type { PeerHarness } from './peer.ts';

const manual = 'peer';
// How callToolChain reports a program that threw: it resolves, with this line last in its logs.
const failurePrefix = '[ERROR] Code execution failed: ';

async function quietly<T>(work: () => Promise<T>): Promise<T> {
  const saved = { log: console.log, info: console.info, warn: console.warn, error: console.error };
  const nothing = (): void => undefined;
  Object.assign(console, { log: nothing, info: nothing, warn: nothing, error: nothing });
  try {
    return await work();
  } finally {
    Object.assign(console, saved);
  }
}

let created = 0;

/** @utcp/code-mode with an in-process `ping` tool. */
export async function createPeer(): Promise<PeerHarness> {
  // Direct-call functions live in one registry per process: names unique to this harness.
  const suffix = `${process.pid}_${++created}`;
  const pingName = `codecall_peer_ping_${suffix}`;
  const manualName = `codecall_peer_manual_${suffix}`;
  await quietly(async () => {
    // direct-call passes the input object's values as positional arguments: ping({ i }) → (i).
    addFunctionToUtcpDirectCall(pingName, (i: unknown) => i);
    addFunctionToUtcpDirectCall(manualName, () => ({
      utcp_version: '1.0.1',
      manual_version: '1.0.0',
      tools: [
        {
          name: 'ping',
          description: 'Returns its input number.',
          inputs: { type: 'object', properties: { i: { type: 'number' } }, required: ['i'] },
          outputs: { type: 'number' },
          tool_call_template: { call_template_type: 'direct-call', callable_name: pingName },
        },
      ],
    }));
  });
  const client = await quietly(async () => CodeModeUtcpClient.create(process.cwd(), null));
  const registered = await quietly(async () => client.registerManual({ name: manual, call_template_type: 'direct-call', callable_name: manualName }));
  if (!registered.success) throw new Error(`@utcp/code-mode: registerManual failed: ${registered.errors.join('; ')}`);
  const prelude = `const ping = (input) => ${manual}.ping(input);\n`;
  return {
    label: `@utcp/code-mode ${installedVersion('@utcp/code-mode')} with @utcp/direct-call ${installedVersion('@utcp/direct-call')}`,
    isolation: 'a new isolated-vm isolate per run in the host process; tool calls block the guest (applySyncPromise), so Promise.all runs them one at a time',
    run: async (body) => {
      const { result, logs } = await quietly(async () => client.callToolChain(prelude + body));
      const last = logs.at(-1);
      if (result === null && typeof last === 'string' && last.startsWith(failurePrefix)) throw new Error(last.slice(failurePrefix.length));
      return result as unknown;
    },
    dispose: async () => {
      // Not client.close(): it clears every direct-call function of the process, not just ours.
      await quietly(async () => {
        await client.deregisterManual(manual);
        unregisterCallable(pingName);
        unregisterCallable(manualName);
      });
    },
  };
}
