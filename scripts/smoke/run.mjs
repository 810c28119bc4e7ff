// Packed-tarball smoke test: what a user gets from `npm install`, not what the workspace links.
//
//   node scripts/smoke/run.mjs [--keep] [--leg <name>]
//
// 1. Finds every public (non-private) workspace package and packs it with `pnpm pack`, checking
//    that no `workspace:` or `catalog:` specifier survives in the packed manifests.
// 2. Gets Node 22 and Node 24 from the npm registry (the `node` package) into .cache/smoke-node/
//    (reused across runs; the running Node is used when it has the wanted major version).
// 3. For each leg (Node 22 with the lowest versions of every peer dependency range, Node 24 with
//    the newest), creates a fresh npm project in a temporary folder outside the repository, installs
//    the tarballs, the peers, TypeScript and @types/node with npm, then runs on that Node:
//    - the README's "Use it" snippet, extracted from README.md by its marker comment;
//    - one programmatic agent run (the application's Anthropic client against the simulator);
//    - require() of every entry point (where the Node version loads ES modules from require());
//    - the `codecall` bin (`--help`);
//    - `tsc --noEmit` (strict, nodenext, skipLibCheck false) over the snippet, the agent run and a
//      file importing every public entry point of every package.
// Fails with the step, the command and its output. --keep leaves the temporary projects in place
// (they are always kept on failure); --leg runs one leg only.
//
//   node scripts/smoke/run.mjs --fetch-node [--background]
//
// Only installs the Node versions the legs need into .cache/smoke-node/ and exits; --background
// starts that in a detached process and returns at once (the root `test` script does this before
// turbo, so the download overlaps the builds instead of holding up the smoke test). The smoke test
// waits for an install in progress (a lock file per version) instead of starting a second one.
import { spawn } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';

const root = path.resolve(import.meta.dirname, '../..');
const fixtures = path.join(import.meta.dirname, 'fixtures');
const nodeCache = path.join(root, '.cache', 'smoke-node');
const snippetMarker = '<!-- smoke-test:readme-snippet';
const started = performance.now();

const legs = [
  { name: 'node22-lowest', nodeMajor: 22, peers: 'lowest' },
  { name: 'node24-newest', nodeMajor: 24, peers: 'newest' },
];

// Type packages a user must add by hand for a peer's own declarations to type-check without
// skipLibCheck. None today: the AI SDK's declarations import 'json-schema' types it does not depend
// on (TS7016; https://github.com/vercel/ai/pull/15874), so @codecall/ai-sdk depends on
// @types/json-schema itself, and the smoke test checks that this is enough.
const userTypings = {};

class SmokeError extends Error {}

const args = process.argv.slice(2);
const keep = args.includes('--keep');
const legFilter = args.includes('--leg') ? args[args.indexOf('--leg') + 1] : undefined;
const fetchNodeOnly = args.includes('--fetch-node');
const inBackground = args.includes('--background');
if (legFilter !== undefined && !legs.some((leg) => leg.name === legFilter)) {
  fail(`--leg must be one of ${legs.map((leg) => leg.name).join(', ')}; got ${String(legFilter)}`);
}

function seconds(since) {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}

function log(prefix, message) {
  process.stdout.write(`[smoke${prefix ? ` ${prefix}` : ''}] ${message}\n`);
}

function fail(message) {
  process.stderr.write(`\n[smoke] FAILED: ${message}\n`);
  process.exit(1);
}

/**
 * Runs a command, capturing its output; rejects with a SmokeError that carries the command, the
 * exit status and the last lines of its output. `timeoutMs` bounds a hang.
 */
function run(command, commandArgs, { cwd, env = process.env, timeoutMs = 300_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const describe = `${path.basename(command)} ${commandArgs.join(' ')}`.slice(0, 400);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new SmokeError(`could not start \`${describe}\`: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0 && !timedOut) {
        resolve({ stdout, output });
        return;
      }
      const status = timedOut ? `was killed after ${timeoutMs / 1000} s` : signal ? `died of ${signal}` : `exited with ${code}`;
      const tail = output.trimEnd().split('\n').slice(-60).join('\n');
      reject(new SmokeError(`\`${describe}\` (in ${cwd ?? process.cwd()}) ${status}:\n${tail}`));
    });
  });
}

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

// The public packages, read from the workspace (`pnpm ls -r`), so new packages are included.
async function workspacePackages() {
  const { stdout } = await run('pnpm', ['ls', '-r', '--depth', '-1', '--json'], { cwd: root });
  const listed = JSON.parse(stdout);
  return listed
    .filter((entry) => entry.path !== root && entry.private !== true)
    .map((entry) => ({ name: entry.name, version: entry.version, directory: entry.path }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

// turbo orders this task after the builds it names; a package missing there could be packed
// half-built while the suite runs, so say exactly what to add.
function checkTurboDependencies(packages) {
  const turbo = readJson(path.join(root, 'turbo.json'));
  const dependsOn = new Set(turbo.tasks?.['//#check:smoke']?.dependsOn ?? []);
  const missing = packages.filter((pkg) => !dependsOn.has(`${pkg.name}#build`)).map((pkg) => `"${pkg.name}#build"`);
  if (missing.length > 0) {
    throw new SmokeError(`turbo.json: tasks["//#check:smoke"].dependsOn lacks ${missing.join(', ')} (every public package's build must finish before it is packed)`);
  }
}

async function packAll(packages, destination) {
  for (const pkg of packages) {
    if (!existsSync(path.join(pkg.directory, 'dist'))) {
      throw new SmokeError(`${pkg.name} has no dist/: build it first (pnpm turbo run build)`);
    }
  }
  return mapLimit(packages, 3, async (pkg) => {
    const { stdout } = await run('pnpm', ['pack', '--pack-destination', destination, '--json'], { cwd: pkg.directory });
    const report = JSON.parse(stdout.slice(stdout.indexOf('{')));
    if (typeof report.filename !== 'string' || !existsSync(report.filename)) {
      throw new SmokeError(`pnpm pack of ${pkg.name} reported no tarball (filename ${String(report.filename)})`);
    }
    return { ...pkg, tarball: report.filename };
  });
}

async function mapLimit(items, limit, action) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await action(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

const dependencyFields = ['dependencies', 'peerDependencies', 'optionalDependencies', 'devDependencies'];

// The manifest as npm will read it, straight out of the tarball.
async function packedManifest(tarball) {
  const { stdout } = await run('tar', ['-xzOf', tarball, 'package/package.json']);
  return JSON.parse(stdout);
}

function checkPackedManifest(pkg, manifest, versions) {
  const problems = [];
  for (const field of dependencyFields) {
    for (const [name, spec] of Object.entries(manifest[field] ?? {})) {
      if (/^(?:workspace|catalog|link|file):/.test(spec)) problems.push(`${field}.${name} is still "${spec}"`);
      const ownVersion = versions.get(name);
      if (field !== 'devDependencies' && ownVersion !== undefined && !satisfiesCaretOrExact(ownVersion, spec)) {
        problems.push(`${field}.${name} is "${spec}", which does not take the packed ${name}@${ownVersion}`);
      }
    }
  }
  if (manifest.version !== pkg.version) problems.push(`version ${manifest.version}, the workspace has ${pkg.version}`);
  if (problems.length > 0) throw new SmokeError(`packed manifest of ${pkg.name}: ${problems.join('; ')}`);
}

// pnpm rewrites `workspace:^` to `^<version>` and `workspace:*` to `<version>`; nothing else is
// expected between our own packages.
function satisfiesCaretOrExact(version, spec) {
  if (spec === version || spec === `^${version}` || spec === `~${version}`) return true;
  return false;
}

function parseVersion(text) {
  const match = /^(\d+)(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-[\w.-]+)?$/.exec(text);
  if (match === null) return undefined;
  return [match[1], match[2], match[3]].map((part) => (part === undefined || /[xX*]/.test(part) ? 0 : Number(part)));
}

function compareVersions(left, right) {
  for (let index = 0; index < 3; index += 1) {
    if (left[index] !== right[index]) return left[index] - right[index];
  }
  return 0;
}

/**
 * The lowest version a semver range admits: per `||` alternative the highest of its lower bounds
 * (`>=`, `^`, `~`, `=`, a bare or partial version, the left side of `a - b`), the lowest over the
 * alternatives. A range with no lower bound (`*`, `<2`) or with `>` has no lowest version to
 * test, which is an error here, not a guess.
 */
function lowestOf(range) {
  let lowest;
  for (const alternative of range.split('||')) {
    const comparators = alternative.trim().replace(/\s+-\s+/, ' >=').replace(/([<>=^~]+)\s+/g, '$1').split(/\s+/);
    let bound;
    for (const comparator of comparators) {
      const match = /^(>=|\^|~|=|<=|<|>)?v?(.+)$/.exec(comparator);
      if (match === null) continue;
      const [, operator = '=', versionText] = match;
      if (operator === '<' || operator === '<=') continue;
      const version = parseVersion(versionText);
      if (operator === '>' || version === undefined) throw new SmokeError(`peer range "${range}": cannot take its lowest version from "${comparator}"`);
      if (bound === undefined || compareVersions(version, bound) > 0) bound = version;
    }
    if (bound === undefined) throw new SmokeError(`peer range "${range}" has no lower bound, so there is no lowest version to test`);
    if (lowest === undefined || compareVersions(bound, lowest) < 0) lowest = bound;
  }
  return lowest;
}

/**
 * The peer dependencies of the packed packages that are not packages of this workspace, with the
 * ranges that declare them. Lowest: the highest of the ranges' lower bounds, installed exactly
 * (npm fails if it was never published or another range refuses it). Newest: the range itself,
 * which npm resolves to the newest version it takes.
 */
function peerVersions(manifests, ownNames) {
  const ranges = new Map();
  for (const manifest of manifests) {
    for (const [name, range] of Object.entries(manifest.peerDependencies ?? {})) {
      if (ownNames.has(name)) continue;
      if (!ranges.has(name)) ranges.set(name, []);
      ranges.get(name).push({ range, by: manifest.name, optional: manifest.peerDependenciesMeta?.[name]?.optional === true });
    }
  }
  return [...ranges]
    .map(([name, declared]) => {
      const lowest = declared.map(({ range }) => lowestOf(range)).reduce((high, version) => (compareVersions(version, high) > 0 ? version : high));
      return {
        name,
        declared,
        described: declared.map(({ range, by }) => `${range} (${by})`).join(', '),
        lowest: lowest.join('.'),
        newest: declared[0].range,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

function catalogVersion(name) {
  const workspace = readFileSync(path.join(root, 'pnpm-workspace.yaml'), 'utf8');
  const match = new RegExp(`^\\s+'?${name.replace(/[/@.-]/g, '\\$&')}'?:\\s*(\\S+)\\s*$`, 'm').exec(workspace);
  if (match === null) throw new SmokeError(`pnpm-workspace.yaml: no catalog entry for ${name}`);
  return match[1];
}

const nodeInstallWaitMs = 900_000;

/**
 * Runs `action` holding the install lock of `prefix` (a file `<prefix>.lock` with the holder's pid),
 * so that a prefetch started before turbo and the smoke test never install into one folder at
 * once. A lock whose holder is gone is taken over; waiting is bounded.
 */
async function withInstallLock(prefix, action) {
  const lock = `${prefix}.lock`;
  mkdirSync(path.dirname(lock), { recursive: true });
  const since = performance.now();
  let announced = false;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      writeFileSync(lock, String(process.pid));
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    const holder = Number(readFileSync(lock, 'utf8').trim());
    if (!(holder > 0) || !isAlive(holder)) {
      // Written but not yet filled in: the holder has just created it.
      if (!(holder > 0) && performance.now() - since < 5_000) {
        await delay(100);
        continue;
      }
      rmSync(lock, { force: true });
      continue;
    }
    if (performance.now() - since > nodeInstallWaitMs) throw new SmokeError(`${lock}: process ${holder} has been installing Node for more than ${nodeInstallWaitMs / 1000} s`);
    if (!announced) log('', `waiting for process ${holder}, which is installing into ${path.relative(root, prefix)}/`);
    announced = true;
    await delay(250);
  }
  try {
    return await action();
  } finally {
    try {
      if (readFileSync(lock, 'utf8').trim() === String(process.pid)) unlinkSync(lock);
    } catch {
      // Already gone.
    }
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function delay(ms) {
  return new Promise((resolve) => {
    setTimeout(resolve, ms);
  });
}

// A Node binary of the given major version: the running one if it matches, else the `node`
// package from the npm registry, installed once into .cache/smoke-node/<major>.
async function nodeBinary(major) {
  if (Number(process.versions.node.split('.')[0]) === major) return process.execPath;
  const prefix = path.join(nodeCache, String(major));
  const binary = path.join(prefix, 'node_modules', 'node', 'bin', 'node');
  const current = async () => {
    if (!existsSync(binary)) return undefined;
    try {
      const { stdout } = await run(binary, ['--version'], { timeoutMs: 30_000 });
      return stdout.trim().startsWith(`v${major}.`) ? stdout.trim() : undefined;
    } catch {
      return undefined;
    }
  };
  return withInstallLock(prefix, async () => {
    if ((await current()) !== undefined) return binary;
    const since = performance.now();
    log('', `installing node@${major} from the npm registry into ${path.relative(root, prefix)}/`);
    rmSync(prefix, { recursive: true, force: true });
    mkdirSync(prefix, { recursive: true });
    writeFileSync(path.join(prefix, 'package.json'), '{ "private": true }\n');
    // --prefer-offline: a tarball already in npm's cache is used without asking the registry again.
    await run('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--no-package-lock', '--prefer-offline', '--loglevel=error', `node@${major}`], { timeoutMs: 600_000 });
    const version = await current();
    if (version === undefined) throw new SmokeError(`npm install node@${major} did not give a working ${binary}`);
    log('', `node@${major}: ${version} (${seconds(since)})`);
    return binary;
  });
}

// --fetch-node: install the Node versions of the legs and stop; with --background in a detached
// process whose output goes to .cache/smoke-node/fetch.log.
async function fetchNodes() {
  if (inBackground) {
    mkdirSync(nodeCache, { recursive: true });
    const logFile = path.join(nodeCache, 'fetch.log');
    const output = openSync(logFile, 'w');
    const child = spawn(process.execPath, [import.meta.filename, '--fetch-node'], { cwd: root, detached: true, stdio: ['ignore', output, output] });
    closeSync(output);
    child.unref();
    log('', `fetching the legs' Node versions in the background (process ${child.pid}, log ${path.relative(root, logFile)})`);
    return;
  }
  for (const leg of legs) await nodeBinary(leg.nodeMajor);
  log('', `Node versions ready (${seconds(started)})`);
}

function readmeSnippet() {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const markerAt = readme.indexOf(snippetMarker);
  if (markerAt === -1) throw new SmokeError(`README.md has no "${snippetMarker} …-->" marker before the snippet to test`);
  const block = /```(?:ts|typescript|js|javascript)\n([\s\S]*?)\n```/.exec(readme.slice(markerAt));
  if (block === null) throw new SmokeError('README.md: no ```ts code block after the smoke-test marker');
  return block[1];
}

function entryPointsModule(manifests) {
  const imports = [];
  const names = [];
  for (const manifest of manifests) {
    for (const subpath of Object.keys(manifest.exports ?? { '.': null })) {
      if (subpath === './package.json' || subpath.includes('*')) continue;
      const specifier = path.posix.join(manifest.name, subpath);
      const local = `entry${imports.length}`;
      imports.push(`import * as ${local} from '${specifier}';`);
      names.push(`  '${specifier}': ${local},`);
    }
  }
  return {
    count: imports.length,
    text: [
      '// Generated by scripts/smoke/run.mjs: every public entry point of every packed package, so that',
      '// tsc loads (and, with skipLibCheck false, checks) every declaration file they ship.',
      ...imports,
      '',
      'export const entryPoints = {',
      ...names,
      '} as const;',
      '',
    ].join('\n'),
  };
}

async function runLeg(leg, { tarballs, manifests, peers, snippet, work }) {
  const prefix = leg.name;
  const legStarted = performance.now();
  const step = async (title, action) => {
    const since = performance.now();
    log(prefix, `${title} …`);
    try {
      const detail = await action();
      log(prefix, `${title}: ok (${seconds(since)})${detail ? ` ${detail}` : ''}`);
    } catch (error) {
      if (error instanceof SmokeError) error.message = `${prefix}: ${title}: ${error.message}`;
      throw error;
    }
  };

  const node = await nodeBinary(leg.nodeMajor);
  const project = path.join(work, leg.name);
  mkdirSync(project);
  // npm and the install scripts it runs (isolated-vm picks its prebuilt binary) use this Node.
  const env = { ...process.env, PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH ?? ''}`, npm_config_update_notifier: 'false' };
  const nodeVersion = (await run(node, ['--version'], { env })).stdout.trim();
  const peerSpecs = peers.filter((peer) => !peer.declared.every((entry) => entry.optional)).map((peer) => `${peer.name}@${peer[leg.peers]}`);
  log(prefix, `Node ${nodeVersion}, ${leg.peers} peers (${peerSpecs.join(' ')}); project ${project}`);

  writeFileSync(path.join(project, 'package.json'), `${JSON.stringify({ name: `codecall-smoke-${leg.name}`, private: true, type: 'module' }, null, 2)}\n`);
  for (const file of ['readme-stand-ins.mjs', 'agent-run.mjs', 'require-check.mjs', 'tsconfig.json']) {
    copyFileSync(path.join(fixtures, file), path.join(project, file));
  }
  const snippetModule = `import { checkReadmeRun, db, modelWrittenCode } from './readme-stand-ins.mjs';\n\n${snippet}\n\ncheckReadmeRun();\n`;
  writeFileSync(path.join(project, 'readme-snippet.mjs'), snippetModule);
  writeFileSync(path.join(project, 'readme-snippet.ts'), snippetModule);
  const entryPoints = entryPointsModule(manifests);
  writeFileSync(path.join(project, 'entry-points.ts'), entryPoints.text);

  const typings = peers.flatMap((peer) => userTypings[peer.name] ?? []);
  const installs = [
    ...tarballs.map((pkg) => pkg.tarball),
    ...peerSpecs,
    `typescript@${catalogVersion('typescript')}`,
    `@types/node@${leg.nodeMajor}`,
    ...typings,
  ];
  if (typings.length > 0) log(prefix, `also installed, as a user of those peers must: ${typings.join(' ')}`);
  let installedPeers = [];
  await step(`npm install (${tarballs.length} tarballs, ${peerSpecs.length} peers, typescript, @types/node@${leg.nodeMajor})`, async () => {
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...installs], { cwd: project, env, timeoutMs: 900_000 });
    // What npm resolved, including any second copy of a peer, is what the user would get.
    const resolved = peers.map((peer) => {
      const file = path.join(project, 'node_modules', peer.name, 'package.json');
      return `${peer.name}@${existsSync(file) ? readJson(file).version : '(not installed)'}`;
    });
    if (leg.peers === 'lowest') {
      const wanted = new Set(peerSpecs);
      const unexpected = resolved.filter((spec) => !spec.endsWith('(not installed)') && !wanted.has(spec));
      if (unexpected.length > 0) throw new SmokeError(`npm resolved ${unexpected.join(', ')}, not the versions asked for (${peerSpecs.join(', ')})`);
    }
    installedPeers = resolved;
    return resolved.join(' ');
  });

  const nodeArgs = ['--no-node-snapshot'];
  await step('README snippet (node readme-snippet.mjs)', async () => {
    const { stdout } = await run(node, [...nodeArgs, 'readme-snippet.mjs'], { cwd: project, env, timeoutMs: 120_000 });
    if (stdout.trim() !== '2') throw new SmokeError(`the snippet printed ${JSON.stringify(stdout.trim())}, expected "2" (the length of the tool's two expense items)`);
    return 'printed 2';
  });
  await step('agent run over the simulator (node agent-run.mjs)', async () => {
    const { stdout } = await run(node, [...nodeArgs, 'agent-run.mjs'], { cwd: project, env, timeoutMs: 120_000 });
    return stdout.trim();
  });
  await step('require() of every entry point (node require-check.mjs)', async () => {
    const { stdout } = await run(node, [...nodeArgs, 'require-check.mjs'], { cwd: project, env, timeoutMs: 120_000 });
    return stdout.trim();
  });
  const bins = manifests.flatMap((manifest) => Object.keys(typeof manifest.bin === 'string' ? { [manifest.name.split('/').pop()]: manifest.bin } : (manifest.bin ?? {})));
  for (const bin of bins) {
    await step(`bin ${bin} --help`, async () => {
      const { output } = await run(path.join(project, 'node_modules', '.bin', bin), ['--help'], { cwd: project, env, timeoutMs: 120_000 });
      const firstLine = output.split('\n').find((line) => line.trim() !== '');
      if (firstLine === undefined) throw new SmokeError(`${bin} --help printed nothing`);
      return JSON.stringify(firstLine.trim());
    });
  }
  await step(`tsc --noEmit (README snippet, agent run, ${entryPoints.count} entry points)`, async () => {
    const tsc = path.join(project, 'node_modules', 'typescript', 'bin', 'tsc');
    // Both legs type-check at once; at load 15-27 on 2 cores 300 s was not enough. A bound on a hang, not a measure.
    const { stdout } = await run(node, [tsc, '--noEmit', '-p', 'tsconfig.json', '--diagnostics'], { cwd: project, env, timeoutMs: 900_000 });
    return `${/^Files:\s+(\d+)/m.exec(stdout)?.[1] ?? '?'} files checked`;
  });
  log(prefix, `passed in ${seconds(legStarted)}`);
  // A passed project goes while the other leg still runs (30,000 files; slow on a busy disk).
  const removal = keep ? Promise.resolve() : rm(project, { recursive: true, force: true });
  return { leg, nodeVersion, installedPeers, removal };
}

async function main() {
  log('', `packed-tarball smoke test (${legFilter ?? legs.map((leg) => leg.name).join(', ')})`);
  const packages = await workspacePackages();
  log('', `public packages: ${packages.map((pkg) => pkg.name).join(', ')}`);
  checkTurboDependencies(packages);

  const snippet = readmeSnippet();
  const work = mkdtempSync(path.join(os.tmpdir(), 'codecall-smoke-'));
  const tarballDirectory = path.join(work, 'tarballs');
  mkdirSync(tarballDirectory);
  let passed = false;
  try {
    const since = performance.now();
    const tarballs = await packAll(packages, tarballDirectory);
    const manifests = await Promise.all(tarballs.map((pkg) => packedManifest(pkg.tarball)));
    const versions = new Map(packages.map((pkg) => [pkg.name, pkg.version]));
    tarballs.forEach((pkg, index) => checkPackedManifest(pkg, manifests[index], versions));
    log('', `packed ${tarballs.length} tarballs, no workspace:/catalog: specifiers left (${seconds(since)})`);

    const peers = peerVersions(manifests, new Set(versions.keys()));
    for (const peer of peers) log('', `peer ${peer.name}: ${peer.described} → lowest ${peer.lowest}, newest: what npm resolves for ${peer.newest}`);

    const selected = legs.filter((leg) => legFilter === undefined || leg.name === legFilter);
    // Both legs at once: installs wait on the network, tsc and the runs on a core each.
    const outcomes = await Promise.allSettled(selected.map((leg) => runLeg(leg, { tarballs, manifests, peers, snippet, work })));
    const failures = outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => outcome.reason);
    if (failures.length > 0) {
      for (const failure of failures.slice(1)) process.stderr.write(`\n[smoke] FAILED: ${failure instanceof Error ? failure.message : String(failure)}\n`);
      throw failures[0];
    }
    for (const outcome of outcomes) {
      log('', `passed: ${outcome.value.leg.name} on Node ${outcome.value.nodeVersion} with ${outcome.value.installedPeers.join(' ')}`);
    }
    await Promise.all(outcomes.map((outcome) => outcome.value.removal));
    passed = true;
  } finally {
    if (passed && !keep) rmSync(work, { recursive: true, force: true });
    else log('', `projects kept in ${work}`);
  }
  log('', `done in ${seconds(started)}`);
}

(fetchNodeOnly ? fetchNodes() : main()).catch((error) => {
  fail(error instanceof SmokeError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error));
});
