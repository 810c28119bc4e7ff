import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Anthropic } from '@anthropic-ai/sdk';
import { isToolset, toToolset } from '@codecall/core';
import type { SandboxLanguage, SandboxV1, Toolset } from '@codecall/core';
import type { AgentEvent } from '../agent-event.js';
import type { AgentMetrics } from '../agent-metrics.js';
import type { AgentResult } from '../agent-result.js';
import { runAgent } from '../run-agent.js';
import type { AgentApprovalRequest, AgentMode } from '../run-agent.js';
import { createMessagesSimulator, latencyPresets } from '../simulator/index.js';
import type { LatencyPresetName, MessagesSimulator, SimulatorPolicy } from '../simulator/index.js';

/** Where the command writes. */
export interface CommandIo {
  /** Results (the metrics table, or the JSON document with `--json`). */
  readonly stdout: (text: string) => void;
  /** Progress and events. */
  readonly stderr: (text: string) => void;
  /**
   * Asks the user on a terminal and resolves with the line typed (`''` at end of input). Absent
   * when there is no terminal: calls that need approval are then denied, with a message naming
   * `--approve-all` and `--deny-all`.
   */
  readonly ask?: (question: string) => Promise<string>;
}

/** Usage text of `codecall agent`. */
export const agentUsage: string = `Usage: codecall agent "<task>" --tools <module> [options]

Runs Claude on a task with the tools exported (as \`tools\`) by <module>.

Options:
  --tools <module>       module exporting \`tools\` (a Toolset or an array of tools), or
                         \`createTools({ projectDir })\` returning one  [required]
  --prompt <text>        the task (instead of the positional "<task>")
  --project-dir <dir>    project folder handed to the module's createTools({ projectDir })
  --mode <mode>          sequential | parallel | programmatic | native | hybrid  [default: programmatic]
  --sandbox <name>       isolated-vm | subprocess | none  [default: isolated-vm]
                         (subprocess is jailed with bubblewrap, and fails where it cannot jail)
  --language <lang>      javascript | typescript | python (code tool)  [default: per sandbox]
  --model <id>           model id  [default: claude-sonnet-4-6]
  --simulate <module>    play the model with the policy exported (as \`policy\`) by <module>, on the loopback simulator
  --latency <preset>     simulator latency: ${Object.keys(latencyPresets).join(' | ')}  [default: instant]
  --system <text>        system prompt
  --max-turns <n>        most model turns (native continuations do not count)  [default: 20]
  --stream               stream responses (SSE)
  --json                 print one JSON document (result, metrics, events) instead of the table
  --approve-all          approve every call that needs approval, without asking
  --deny-all             deny every call that needs approval, without asking
  --verbose              print each nested tool call in full (input and output) as it finishes
  -h, --help             show this help

Calls of tools that need approval are asked about on the terminal: [y]es, [n]o, or [a]ll (approve
this call and every later one). Without a terminal they are denied unless --approve-all is given.

Without --simulate, the real Messages API is used (ANTHROPIC_API_KEY). A tools module may export
\`agentDefaults\` ({ mode?, sandbox?, language?, simulate? }) used when the flag is not given; its
\`simulate\` (a policy module, relative to the tools module) applies only without ANTHROPIC_API_KEY.`;

const modes: readonly AgentMode[] = ['sequential', 'parallel', 'programmatic', 'native', 'hybrid'];

class UsageError extends Error {}

/** How `codecall agent` decides calls that need approval. */
export type ApprovalPolicy = 'ask' | 'approve-all' | 'deny-all';

/**
 * The CLI's `onApproval`: `approve-all` and `deny-all` decide without asking; `ask` asks on the
 * terminal (`io.ask`) one call at a time — `y` approves, `n` denies, `a` approves this call and
 * every later one — and, without a terminal, denies and says once which flags change that.
 */
export function createApprovalPrompter(policy: ApprovalPolicy, io: CommandIo): (request: AgentApprovalRequest) => Promise<boolean> {
  let approveAll = policy === 'approve-all';
  let explained = false;
  // One question at a time: parallel calls wait for the answer to the one before.
  let queue: Promise<unknown> = Promise.resolve();
  const decide = async (request: AgentApprovalRequest): Promise<boolean> => {
    if (approveAll) return true;
    if (policy === 'deny-all') return false;
    if (io.ask === undefined) {
      if (!explained) {
        explained = true;
        io.stderr(
          `${request.toolName} needs approval and there is no terminal to ask on, so it is denied. Pass --approve-all to approve such calls, or --deny-all to deny them without this message.`,
        );
      }
      return false;
    }
    const where = request.caller === 'direct' ? '' : request.caller === 'code' ? ' (from code)' : ' (from hosted code)';
    const question = `? Approve ${request.toolName}(${preview(request.input, 200)})${where}? [y]es / [n]o / [a]ll: `;
    for (let attempt = 0; attempt < 5; attempt++) {
      const answer = (await io.ask(question)).trim().toLowerCase();
      if (answer === 'y' || answer === 'yes') return true;
      if (answer === 'a' || answer === 'all') {
        approveAll = true;
        return true;
      }
      if (answer === 'n' || answer === 'no' || answer === '') return false;
      io.stderr('  Answer y (approve), n (deny) or a (approve this and every later call).');
    }
    return false;
  };
  return (request) => {
    const decision = queue.then(() => decide(request));
    queue = decision.catch(() => undefined);
    return decision;
  };
}

async function importModule(path: string): Promise<Record<string, unknown>> {
  const url = /^[a-z]+:/i.test(path) && !/^[a-z]:\\/i.test(path) ? path : pathToFileURL(resolve(process.cwd(), path)).href;
  return (await import(url)) as Record<string, unknown>;
}

async function createSandbox(name: string, language: SandboxLanguage | undefined): Promise<SandboxV1 | undefined> {
  if (name === 'none') return undefined;
  // Optional peers: imported by name at run time so that neither is required to install this package.
  const specifier = name === 'isolated-vm' ? '@codecall/sandbox-isolated-vm' : name === 'subprocess' ? '@codecall/sandbox-subprocess' : undefined;
  if (specifier === undefined) throw new UsageError(`Unknown sandbox ${JSON.stringify(name)}; use isolated-vm, subprocess or none.`);
  let module: Record<string, unknown>;
  try {
    module = (await import(specifier)) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`--sandbox ${name} needs the package ${specifier} (npm install ${specifier}): ${error instanceof Error ? error.message : String(error)}`);
  }
  const factory = module[name === 'isolated-vm' ? 'createIsolatedVmSandbox' : 'createSubprocessSandbox'];
  if (typeof factory !== 'function') throw new UsageError(`${specifier} does not export its factory.`);
  // isolated-vm: the adapter's default mode, supervised (isolates in a child process, so a guest's
  // fatal V8 OOM cannot end the CLI).
  const settings: object = name === 'subprocess' && language === 'python' ? { languages: ['python'] } : {};
  return (factory as (settings: object) => SandboxV1)(settings);
}

function formatNumber(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** The metrics as an aligned two-column table. */
export function metricsTable(metrics: AgentMetrics): string {
  const rows: [string, string][] = [
    ['model round trips', String(metrics.modelRoundTrips)],
    ['input tokens (uncached)', formatNumber(metrics.inputTokens)],
    ['cache write tokens', formatNumber(metrics.cacheCreationInputTokens)],
    ['cache read tokens', formatNumber(metrics.cacheReadInputTokens)],
    ['output tokens', formatNumber(metrics.outputTokens)],
    ['tool calls (direct / nested)', `${metrics.toolCalls.direct} / ${metrics.toolCalls.nested}`],
    ['code runs', String(metrics.toolCalls.codeRuns)],
    ['failed / denied calls', `${metrics.toolCalls.failed} / ${metrics.toolCalls.denied}`],
    ['tool results in context', `${formatNumber(metrics.toolResultBytes)} B, ${formatNumber(metrics.toolResultTokens)} tokens`],
    ['model time', `${formatNumber(metrics.modelTimeMs)} ms${metrics.simulatedModelTimeMs === undefined ? '' : ` (simulated ${formatNumber(metrics.simulatedModelTimeMs)} ms)`}`],
    ['sandbox time', `${formatNumber(metrics.sandboxTimeMs)} ms`],
    ['tool time', `${formatNumber(metrics.toolTimeMs)} ms`],
    ['wall time', `${formatNumber(metrics.wallTimeMs)} ms`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}

function preview(value: unknown, max = 120): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? 'undefined';
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => `${prefix}${line}`)
    .join('\n');
}

/** One human-readable line (or block) per event; `verbose` shows nested calls' whole input and output. */
export function describeEvent(event: AgentEvent, verbose = false): string | undefined {
  switch (event.type) {
    case 'model-request':
      return `→ model turn ${event.turn}…`;
    case 'model-response': {
      const usage = event.usage;
      const tokens = `${usage.input_tokens} in + ${usage.cache_read_input_tokens ?? 0} cached + ${usage.cache_creation_input_tokens ?? 0} written, ${usage.output_tokens} out`;
      return `← model turn ${event.turn}: ${event.stopReason ?? '?'} (${tokens}, ${Math.round(event.durationMs)} ms)`;
    }
    case 'text':
      return indent(event.text, '  │ ');
    case 'code':
      return `  ▶ ${event.where === 'local' ? 'code' : 'hosted code'} (${event.language}):\n${indent(event.code, '  ┆ ')}`;
    case 'code-result':
      return `  ◀ ${event.isError ? 'code failed' : 'code result'}${event.result === undefined ? '' : ` (${Math.round(event.result.durationMs)} ms)`}:\n${indent(event.content.replace(/\n+$/, ''), '  ┆ ')}`;
    case 'tool-call':
      return event.caller === 'direct' ? `  ⚙ ${event.name}(${preview(event.input)})` : undefined;
    case 'tool-result': {
      const { call } = event;
      const full = verbose && call.caller !== 'direct' ? Number.MAX_SAFE_INTEGER : undefined;
      const outcome = call.error === undefined ? preview(call.output, full) : `${call.error.code}: ${preview(call.error.message, full)}`;
      const marker = call.caller === 'direct' ? '  ✓' : '    ↳';
      return `${marker} ${call.name}(${preview(call.input, full ?? 60)}) → ${outcome} (${Math.round(call.durationMs)} ms)`;
    }
    case 'code-event': {
      // Output of a local code run, printed as the code writes it (before its code-result).
      const inner = event.event;
      if (inner.type === 'stdout' || inner.type === 'stderr') return indent(inner.text.replace(/\n$/, ''), inner.type === 'stdout' ? '    │ ' : '    ! ');
      if (inner.type === 'tool-call-start' && verbose) return `    ⋯ ${inner.toolName}…`;
      return undefined;
    }
    case 'approval':
      return `  ? approval for ${event.toolName}(${preview(event.input, 60)}): ${event.approved ? 'approved' : 'denied'}`;
    case 'text-delta':
    case 'finish':
      return undefined;
  }
}

/**
 * `codecall agent "<task>" --tools <module> …`: runs the agent, prints each event as it happens
 * (stderr) and the metrics table (stdout), or one JSON document with `--json`. Returns the exit
 * code: 0 completed, 1 failure, 2 usage error, 3 max turns reached.
 */
export async function runAgentCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        tools: { type: 'string' },
        prompt: { type: 'string' },
        'project-dir': { type: 'string' },
        verbose: { type: 'boolean', default: false },
        // No parseArgs defaults for these: the tools module's agentDefaults apply first.
        mode: { type: 'string' },
        sandbox: { type: 'string' },
        language: { type: 'string' },
        model: { type: 'string', default: 'claude-sonnet-4-6' },
        simulate: { type: 'string' },
        latency: { type: 'string', default: 'instant' },
        system: { type: 'string' },
        'max-turns': { type: 'string', default: '20' },
        stream: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        'approve-all': { type: 'boolean', default: false },
        'deny-all': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    io.stderr(`${error instanceof Error ? error.message : String(error)}\n\n${agentUsage}`);
    return 2;
  }
  if (values.help === true) {
    io.stdout(agentUsage);
    return 0;
  }
  const json = values.json === true;
  let simulator: MessagesSimulator | undefined;
  let sandbox: SandboxV1 | undefined;
  let nativeSandbox: SandboxV1 | undefined;
  const events: AgentEvent[] = [];
  try {
    if (values['approve-all'] === true && values['deny-all'] === true) throw new UsageError('--approve-all and --deny-all exclude each other: pass one of them, or neither to be asked.');
    const approvalPolicy: ApprovalPolicy = values['approve-all'] === true ? 'approve-all' : values['deny-all'] === true ? 'deny-all' : 'ask';
    const task = (typeof values.prompt === 'string' ? values.prompt : positionals.join(' ')).trim();
    if (task === '') throw new UsageError('Missing the task: codecall agent "<task>" --tools <module> (or --prompt "<task>").');
    if (typeof values.tools !== 'string') throw new UsageError('Missing --tools <module>.');
    const toolsModule = await importModule(values.tools);
    const moduleDefaults = (typeof toolsModule.agentDefaults === 'object' && toolsModule.agentDefaults !== null ? toolsModule.agentDefaults : {}) as Record<string, unknown>;
    const fallback = (key: 'mode' | 'sandbox' | 'language', builtIn: string | undefined): string | undefined =>
      typeof values[key] === 'string' ? (values[key]) : typeof moduleDefaults[key] === 'string' ? (moduleDefaults[key]) : builtIn;
    values.mode = fallback('mode', 'programmatic');
    values.sandbox = fallback('sandbox', 'isolated-vm');
    values.language = fallback('language', undefined);
    // An example's tools module can name its own simulator policy: with no --simulate and no API
    // key, `codecall agent --tools <module>` then runs offline as the example documents.
    if (values.simulate === undefined && !process.env.ANTHROPIC_API_KEY && typeof moduleDefaults['simulate'] === 'string') {
      values.simulate = resolve(dirname(resolve(process.cwd(), values.tools)), moduleDefaults['simulate']);
    }
    const mode = values.mode as AgentMode;
    if (!modes.includes(mode)) throw new UsageError(`Unknown --mode ${String(values.mode)}; use ${modes.join(', ')}.`);
    const maxTurns = Number(values['max-turns']);
    if (!Number.isSafeInteger(maxTurns) || maxTurns < 1) throw new UsageError('--max-turns must be a positive integer.');
    const language = values.language as SandboxLanguage | undefined;
    if (language !== undefined && !['javascript', 'typescript', 'python'].includes(language)) throw new UsageError(`Unknown --language ${language}.`);

    const projectDir = typeof values['project-dir'] === 'string' ? resolve(process.cwd(), values['project-dir']) : undefined;
    if (projectDir !== undefined && typeof toolsModule.createTools !== 'function') {
      throw new UsageError(`--project-dir needs ${values.tools} to export createTools({ projectDir }).`);
    }
    const exported =
      typeof toolsModule.createTools === 'function' && (projectDir !== undefined || toolsModule.tools === undefined)
        ? await (toolsModule.createTools as (settings: { projectDir?: string }) => unknown)(projectDir === undefined ? {} : { projectDir })
        : toolsModule.tools;
    if (exported === undefined || (!isToolset(exported) && !Array.isArray(exported))) throw new UsageError(`${values.tools} must export \`tools\` (a Toolset or an array of tools).`);
    const tools: Toolset = toToolset(exported as Toolset);

    const needsLocalSandbox = mode === 'programmatic' || mode === 'hybrid';
    const sandboxName = String(values.sandbox);
    if (needsLocalSandbox || (mode === 'native' && values.simulate !== undefined)) sandbox = await createSandbox(sandboxName, language);
    if (needsLocalSandbox && sandbox === undefined) throw new UsageError(`--mode ${mode} runs code locally: choose --sandbox isolated-vm or subprocess.`);

    let client: Anthropic;
    if (typeof values.simulate === 'string') {
      const policyModule = await importModule(values.simulate);
      if (typeof policyModule.policy !== 'function') throw new UsageError(`${values.simulate} must export \`policy\` (a SimulatorPolicy).`);
      const latency = String(values.latency);
      if (!(latency in latencyPresets)) throw new UsageError(`Unknown --latency ${latency}; use ${Object.keys(latencyPresets).join(', ')}.`);
      if (mode === 'native') {
        // Hosted code execution runs Python; emulate it in a Python subprocess when available.
        nativeSandbox = await createSandbox('subprocess', 'python').catch(() => undefined);
      }
      const emulationSandbox = nativeSandbox ?? sandbox;
      simulator = await createMessagesSimulator({
        policy: policyModule.policy as SimulatorPolicy,
        latency: latency as LatencyPresetName,
        ...(emulationSandbox === undefined ? {} : { sandbox: emulationSandbox }),
      });
      client = simulator.createClient();
      if (!json) io.stderr(`simulator at ${simulator.url} (policy ${values.simulate}, latency ${latency})`);
    } else {
      if (process.env.ANTHROPIC_API_KEY === undefined) throw new UsageError('Set ANTHROPIC_API_KEY, or pass --simulate <policy module> to run offline.');
      client = new Anthropic();
    }

    const result: AgentResult = await runAgent({
      client,
      model: String(values.model),
      tools,
      mode,
      prompt: task,
      maxTurns,
      stream: values.stream === true,
      ...(sandbox === undefined ? {} : { sandbox }),
      ...(language === undefined ? {} : { language }),
      ...(typeof values.system === 'string' ? { system: values.system } : {}),
      onApproval: createApprovalPrompter(approvalPolicy, io),
      onEvent: (event) => {
        events.push(event);
        if (json) return;
        const line = describeEvent(event, values.verbose === true);
        if (line !== undefined) io.stderr(line);
      },
    });
    if (json) {
      io.stdout(JSON.stringify({ status: result.status, text: result.text, stopReason: result.stopReason, metrics: result.metrics, toolCalls: result.toolCalls, events }, null, 2));
    } else {
      io.stdout(`${result.status === 'max_turns' ? `Stopped after ${maxTurns} turns (--max-turns).\n` : result.status === 'max_nested_call_batches' ? 'Stopped: hosted code asked for more batches of nested calls than maxNestedCallBatches allows.\n' : ''}${result.text}\n\n${metricsTable(result.metrics)}`);
    }
    return result.status === 'completed' ? 0 : 3;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`${error.message}\n\n${agentUsage}`);
      return 2;
    }
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    if (json) io.stdout(JSON.stringify({ status: 'error', error: message, events }, null, 2));
    else io.stderr(message);
    return 1;
  } finally {
    await simulator?.close();
    await sandbox?.dispose();
    await nativeSandbox?.dispose();
  }
}
