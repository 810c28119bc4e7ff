// server-memory (its graph file in a temporary folder) and server-filesystem (allowed to touch one
// temporary folder only), from npm over stdio, in one toolset with a prefix per server: the guest
// code builds a knowledge graph and writes files; the host checks what the servers did.
import { mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createToolset, generateDeclarations, runCode } from '@codecall/core';
import type { Toolset } from '@codecall/core';
import { createIsolatedVmSandbox } from '@codecall/sandbox-isolated-vm';
import { createSubprocessSandbox } from '@codecall/sandbox-subprocess';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createMcpToolset } from '../src/index.js';
import type { McpToolset } from '../src/index.js';
import { childProcesses, eventually, serverBin } from './helpers.js';

const isolate = createIsolatedVmSandbox();
const python = createSubprocessSandbox({ languages: ['python'] });
let folder: string;
let memory: McpToolset;
let files: McpToolset;
let tools: Toolset;

beforeAll(async () => {
  folder = await realpath(await mkdtemp(join(tmpdir(), 'codecall-mcp-')));
  await writeFile(join(folder, 'notes.txt'), 'first line\nsecond line\n');
  [memory, files] = await Promise.all([
    createMcpToolset(
      { command: process.execPath, args: [serverBin('server-memory')], env: { MEMORY_FILE_PATH: join(folder, 'memory.jsonl') } },
      { prefix: 'memory' },
    ),
    createMcpToolset({ command: process.execPath, args: [serverBin('server-filesystem'), folder] }, { prefix: 'files' }),
  ]);
  tools = createToolset([...memory.tools, ...files.tools]);
});
afterAll(async () => {
  await Promise.all([memory?.close(), files?.close()]);
  await isolate.dispose();
  await python.dispose();
  if (folder !== undefined) await rm(folder, { recursive: true, force: true });
});

test('two servers share one toolset under their prefixes', () => {
  expect(tools.get('memory.create_entities')?.identifier).toBe('memory_create_entities');
  expect(tools.get('files.read_text_file')?.identifier).toBe('files_read_text_file');
  const declarations = generateDeclarations(tools, { language: 'python' });
  expect(declarations).toContain('def memory_read_graph(');
  expect(declarations).toContain('def files_write_file(');
  expect(declarations).toContain('files.write_file');
});

test('Python in the jailed subprocess builds a graph and writes a file through the servers', async () => {
  const result = await runCode({
    sandbox: python,
    language: 'python',
    tools,
    code: `
memory_create_entities(entities=[
    {"name": "Ada", "entityType": "person", "observations": ["wrote the first program"]},
    {"name": "Analytical Engine", "entityType": "machine", "observations": []},
])
memory_create_relations(relations=[{"from": "Ada", "to": "Analytical Engine", "relationType": "programmed"}])
graph = memory_read_graph()
notes = files_read_text_file(path="${'${folder}'}/notes.txt")["content"]
files_write_file(path="${'${folder}'}/summary.txt", content=f"{len(graph['entities'])} entities; {notes.splitlines()[1]}")
result = {"entities": sorted(e["name"] for e in graph["entities"]), "relations": [r["relationType"] for r in graph["relations"]]}`.replaceAll('${folder}', folder),
    limits: { timeoutMs: 60_000 },
  });
  expect(result).toMatchObject({ type: 'success', value: { entities: ['Ada', 'Analytical Engine'], relations: ['programmed'] } });
  expect(await readFile(join(folder, 'summary.txt'), 'utf8')).toBe('2 entities; second line');
  // The memory server persisted the graph where it was told to.
  expect(await readFile(join(folder, 'memory.jsonl'), 'utf8')).toContain('"Ada"');
});

test('JavaScript in isolated-vm reads what Python stored; a server-side isError is a catchable TOOL_FAILED with the server text', async () => {
  const result = await runCode({
    sandbox: isolate,
    tools,
    code: `
      const found = await memory_search_nodes({ query: 'Ada' });
      const listing = await files_list_directory({ path: ${JSON.stringify(folder)} });
      let denied;
      try { await files_read_text_file({ path: '/etc/hostname' }); } catch (error) { denied = { name: error.name, code: error.code, message: error.message }; }
      return { names: found.entities.map((entity) => entity.name), listing: listing.content, denied };`,
    limits: { timeoutMs: 60_000 },
  });
  expect(result.type).toBe('success');
  const value = (result as { value: { names: string[]; listing: string; denied: { name: string; code: string; message: string } } }).value;
  expect(value.names).toEqual(['Ada']);
  expect(value.listing).toContain('[FILE] summary.txt');
  expect(value.denied).toMatchObject({ name: 'ToolError', code: 'TOOL_FAILED', message: expect.stringMatching(/access denied.*outside allowed directories/i) });
});

test('an uncaught isError ends the Python run with the server text, and the trace records TOOL_FAILED', async () => {
  const result = await runCode({
    sandbox: python,
    language: 'python',
    tools,
    code: 'return files_read_text_file(path="/etc/hostname")',
    limits: { timeoutMs: 60_000 },
  });
  expect(result.type).toBe('error');
  expect(result.toolCalls[0]?.error).toMatchObject({ code: 'TOOL_FAILED', message: expect.stringMatching(/outside allowed directories/i) });
});

test('closing both toolsets leaves no server process behind', async () => {
  expect(childProcesses(serverBin('server-memory'))).toHaveLength(1);
  expect(childProcesses(serverBin('server-filesystem'))).toHaveLength(1);
  await Promise.all([memory.close(), files.close()]);
  expect(await eventually(() => childProcesses(serverBin('server-memory')).length + childProcesses(serverBin('server-filesystem')).length === 0)).toBe(true);
});
