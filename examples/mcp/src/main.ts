// Two MCP servers from npm, started over stdio, serve one toolset: server-filesystem (allowed one
// temporary folder) and server-memory (a knowledge graph). The model-style program below reads
// every note in the folder at once, keeps the ones that mention an incident and records them in the
// graph: three servers' worth of calls in one sandbox run, and only the summary comes back.
//
//   pnpm --filter @codecall/example-mcp start            (after `pnpm build`) print the run
//   node --no-node-snapshot src/main.ts --check          also exit non-zero unless the answer is right
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readFileSync, realpathSync } from 'node:fs';
import { createToolset, generateDeclarations, runCode } from '@codecall/core';
import { createMcpToolset } from '@codecall/mcp';
import { createIsolatedVmSandbox } from '@codecall/sandbox-isolated-vm';

const require = createRequire(import.meta.url);

/** The entry point (`bin`) of an npm MCP server, started with this Node rather than through npx. */
function serverEntry(name: string): string {
  const manifest = require.resolve(`${name}/package.json`);
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin: Record<string, string> };
  const entry = Object.values(bin)[0];
  if (entry === undefined) throw new Error(`${name} declares no bin`);
  return join(dirname(manifest), entry);
}

const notes: Record<string, string> = {
  'monday.md': 'Deploy of billing went fine.\n',
  'tuesday.md': 'INCIDENT: search latency doubled after the index rebuild.\n',
  'wednesday.md': 'Planning for Q1.\n',
  'thursday.md': 'INCIDENT: login errors for 4 minutes (expired certificate).\n',
};

const folder = realpathSync(await mkdtemp(join(tmpdir(), 'codecall-example-mcp-')));
await Promise.all(Object.entries(notes).map(([name, text]) => writeFile(join(folder, name), text)));

const [files, memory] = await Promise.all([
  createMcpToolset({ command: process.execPath, args: [serverEntry('@modelcontextprotocol/server-filesystem'), folder] }, { prefix: 'files' }),
  createMcpToolset(
    { command: process.execPath, args: [serverEntry('@modelcontextprotocol/server-memory')], env: { MEMORY_FILE_PATH: join(folder, 'memory.jsonl') } },
    { prefix: 'memory' },
  ),
]);
const sandbox = createIsolatedVmSandbox();
const tools = createToolset([...files.tools, ...memory.tools]);

// What a model would write after reading the declarations.
const code = `
const listing = await files_list_directory({ path: ${JSON.stringify(folder)} });
const names = listing.content.split('\\n').filter((line) => line.startsWith('[FILE] ') && line.endsWith('.md')).map((line) => line.slice(7));
const texts = await Promise.all(names.map((name) => files_read_text_file({ path: ${JSON.stringify(folder)} + '/' + name })));
const incidents = names.map((name, index) => ({ day: name.replace('.md', ''), text: texts[index].content.trim() }))
  .filter((note) => note.text.startsWith('INCIDENT'));
await memory_create_entities({ entities: incidents.map((incident) => ({ name: incident.day, entityType: 'incident', observations: [incident.text] })) });
const graph = await memory_read_graph();
console.log(\`\${names.length} notes read, \${incidents.length} incidents recorded\`);
return graph.entities.map((entity) => entity.name).sort();
`;

try {
  console.log('Declarations the model reads (first lines):\n');
  console.log(generateDeclarations(tools, { language: 'typescript' }).split('\n').slice(0, 12).join('\n') + '\n…');
  console.log('\nModel-written code:\n' + code);
  const result = await runCode({ sandbox, tools, code, limits: { timeoutMs: 60_000 } });
  console.log('Tool calls:');
  for (const call of result.toolCalls) {
    console.log(`  +${call.offsetMs.toFixed(1).padStart(7)} ms  ${call.name.padEnd(24)} ${call.error ? `error ${call.error.code}` : 'ok'} in ${call.durationMs.toFixed(1)} ms`);
  }
  console.log(`\nstdout: ${result.stdout.trim()}`);
  if (result.type === 'success') console.log(`value:  ${JSON.stringify(result.value)}`);
  else console.log(`error:  ${result.error.code} ${result.error.name}: ${result.error.message}`);

  if (process.argv.includes('--check')) {
    if (result.type !== 'success' || JSON.stringify(result.value) !== JSON.stringify(['thursday', 'tuesday'])) {
      console.error('check failed: expected ["thursday","tuesday"]');
      process.exitCode = 1;
    } else console.log('check passed');
  }
} finally {
  await sandbox.dispose();
  await Promise.all([files.close(), memory.close()]);
  await rm(folder, { recursive: true, force: true });
}
