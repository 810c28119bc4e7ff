// The container-inspection toolset: list, inspect, stats and logs of simulated containers.
import { defineScenario, integer, pick, seededRandom } from '@codecall/bench-scenarios';

interface Container {
  id: string;
  name: string;
  image: string;
  state: 'running' | 'exited';
}
interface Inspection {
  id: string;
  name: string;
  restartCount: number;
  createdAt: string;
  config: { env: string[]; cmd: string[]; labels: Record<string, string> };
  health: { status: string; failingStreak: number };
}
interface Stats {
  id: string;
  cpuPercent: number;
  memoryUsageBytes: number;
  memoryLimitBytes: number;
  networkRxBytes: number;
  networkTxBytes: number;
}

const services = ['api', 'worker', 'cache', 'db-proxy', 'gateway', 'scheduler', 'mailer', 'search', 'metrics', 'auth', 'billing', 'frontend', 'ingest', 'reports', 'webhooks', 'thumbnails'];
const mebibyte = 1_048_576;
const containers: Container[] = services.map((service, index) => ({
  id: ((index + 1) * 0x9e3779b1).toString(16).padStart(12, '0').slice(-12),
  name: `prod-${service}`,
  image: `registry.local/${service}:1.${index}.0`,
  state: index === 13 ? 'exited' : 'running',
}));
const unhealthyBy = new Map<string, 'restarts' | 'memory'>([
  ['prod-worker', 'restarts'],
  ['prod-search', 'memory'],
  ['prod-ingest', 'restarts'],
  ['prod-reports', 'memory'], // exited: not running, so not reported
]);

function inspection(container: Container): Inspection {
  const random = seededRandom(parseInt(container.id.slice(0, 8), 16));
  const reason = unhealthyBy.get(container.name);
  return {
    id: container.id,
    name: container.name,
    restartCount: reason === 'restarts' ? integer(random, 4, 12) : integer(random, 0, 3),
    createdAt: '2025-09-01T12:00:00Z',
    config: {
      env: ['NODE_ENV=production', `SERVICE=${container.name}`, 'LOG_LEVEL=info', 'OTEL_EXPORTER=otlp'],
      cmd: ['node', 'dist/main.js'],
      labels: { team: pick(random, ['core', 'growth', 'infra']), tier: 'prod', 'com.example.version': container.image.split(':')[1] ?? '' },
    },
    health: { status: reason === undefined ? 'healthy' : 'unhealthy', failingStreak: reason === undefined ? 0 : integer(random, 1, 5) },
  };
}

function stats(container: Container): Stats {
  const random = seededRandom(parseInt(container.id.slice(4), 16));
  const limit = 512 * mebibyte;
  const usage = unhealthyBy.get(container.name) === 'memory' ? Math.round(limit * (0.91 + random() * 0.08)) : Math.round(limit * (0.2 + random() * 0.6));
  return { id: container.id, cpuPercent: integer(random, 1, 90), memoryUsageBytes: usage, memoryLimitBytes: limit, networkRxBytes: integer(random, 1e6, 9e8), networkTxBytes: integer(random, 1e6, 9e8) };
}

function logs(container: Container, tail: number): string[] {
  const random = seededRandom(parseInt(container.id.slice(2, 10), 16));
  const lines: string[] = [];
  for (let index = 0; index < 200; index++) {
    const time = new Date(Date.UTC(2025, 8, 30, 10, 0, index * 7)).toISOString();
    const roll = random();
    if (unhealthyBy.has(container.name) && roll < 0.08) lines.push(`${time} ERROR E${integer(random, 1000, 9999)} ${pick(random, ['connection reset by peer', 'heap limit reached', 'upstream timed out', 'lock wait timeout'])}`);
    else if (roll < 0.3) lines.push(`${time} WARN slow request ${integer(random, 500, 3000)}ms path=/v1/${pick(random, ['orders', 'users', 'items'])}`);
    else lines.push(`${time} INFO handled request id=${integer(random, 1e5, 9e5)} status=200 durationMs=${integer(random, 2, 90)}`);
  }
  return lines.slice(-tail);
}

const isUnhealthy = (inspected: Inspection, stat: Stats): boolean => inspected.restartCount > 3 || stat.memoryUsageBytes / stat.memoryLimitBytes > 0.9;
const lastError = (lines: readonly string[]): string => lines.filter((line) => line.includes(' ERROR ')).at(-1) ?? '(no error line)';
const expected = containers
  .filter((container) => container.state === 'running' && isUnhealthy(inspection(container), stats(container)))
  .map((container) => ({ name: container.name, error: lastError(logs(container, 200)) }));

const javascript = `const list = await list_containers({});
const running = list.filter((c) => c.state === 'running');
const details = await Promise.all(running.map(async (c) => [c, await inspect_container({ id: c.id }), await container_stats({ id: c.id })]));
const bad = details.filter(([, i, s]) => i.restartCount > 3 || s.memoryUsageBytes / s.memoryLimitBytes > 0.9);
const out = await Promise.all(bad.map(async ([c]) => {
  const lines = await container_logs({ id: c.id, tail: 200 });
  return { name: c.name, error: lines.filter((l) => l.includes(' ERROR ')).at(-1) ?? '(no error line)' };
}));
console.log(JSON.stringify(out));`;

const python = `import asyncio, json
containers = await list_containers({})
running = [c for c in containers if c["state"] == "running"]
async def details(c):
    i, s = await asyncio.gather(inspect_container({"id": c["id"]}), container_stats({"id": c["id"]}))
    return c, i, s
rows = await asyncio.gather(*[details(c) for c in running])
bad = [c for c, i, s in rows if i["restartCount"] > 3 or s["memoryUsageBytes"] / s["memoryLimitBytes"] > 0.9]
async def last_error(c):
    lines = await container_logs({"id": c["id"], "tail": 200})
    errors = [l for l in lines if " ERROR " in l]
    return {"name": c["name"], "error": errors[-1] if errors else "(no error line)"}
print(json.dumps(await asyncio.gather(*[last_error(c) for c in bad])))`;

const answer = (rows: readonly { name: string; error: string }[]): string =>
  rows.length === 0 ? 'All running containers are healthy.' : `Unhealthy containers:\n${rows.map((row) => `- ${row.name}: ${row.error}`).join('\n')}`;

export const scenario = defineScenario({
  id: 'container-inspection',
  title: 'Container inspection',
  description: 'list_containers, inspect_container, container_stats, container_logs over 16 simulated containers: find the unhealthy running ones (restarts > 3 or memory > 90%) and quote their last error line from 200 lines of logs.',
  expectation: 'wins',
  workload: 'analysis',
  tools: [
    {
      name: 'list_containers',
      description: 'Lists containers on the host: id, name, image, state (running or exited).',
      inputSchema: { type: 'object', properties: {} },
      execute: () => containers,
    },
    {
      name: 'inspect_container',
      description: 'Low-level details of a container: restartCount, createdAt, config (env, cmd, labels), health.',
      inputSchema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      execute: (input) => inspection(find((input as { id: string }).id)),
    },
    {
      name: 'container_stats',
      description: 'Resource usage of a container: cpuPercent, memoryUsageBytes, memoryLimitBytes, network bytes.',
      inputSchema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      execute: (input) => stats(find((input as { id: string }).id)),
    },
    {
      name: 'container_logs',
      description: 'The last `tail` log lines of a container (at most 200), oldest first.',
      inputSchema: { type: 'object', properties: { id: { type: 'string' }, tail: { type: 'integer', minimum: 1, maximum: 200 } }, required: ['id', 'tail'] },
      execute: (input) => {
        const { id, tail } = input as { id: string; tail: number };
        return logs(find(id), tail);
      },
    },
  ],
  task: 'Which running containers are unhealthy, meaning restarted more than 3 times or using more than 90% of their memory limit? For each one, quote the last ERROR line of its logs (look at the last 200 lines).',
  expected: expected.map((row) => `${row.name} (${row.error.split(' ')[2] ?? ''})`).join(', '),
  check: (text) => {
    const named = new Set(text.match(/prod-[a-z-]+/g) ?? []);
    return named.size === expected.length && expected.every((row) => named.has(row.name) && text.includes(row.error));
  },
  direct: (state) => {
    const list = state.find('list_containers') as Container[] | undefined;
    if (list === undefined) return [{ tool: 'list_containers', input: {} }];
    const running = list.filter((container) => container.state === 'running');
    const missing = running.flatMap((container) => [
      ...(state.has('inspect_container', { id: container.id }) ? [] : [{ tool: 'inspect_container', input: { id: container.id } }]),
      ...(state.has('container_stats', { id: container.id }) ? [] : [{ tool: 'container_stats', input: { id: container.id } }]),
    ]);
    if (missing.length > 0) return missing;
    const bad = running.filter((container) => isUnhealthy(state.find('inspect_container', { id: container.id }) as Inspection, state.find('container_stats', { id: container.id }) as Stats));
    const noLogs = bad.filter((container) => !state.has('container_logs', { id: container.id }));
    if (noLogs.length > 0) return noLogs.map((container) => ({ tool: 'container_logs', input: { id: container.id, tail: 200 } }));
    return answer(bad.map((container) => ({ name: container.name, error: lastError(state.find('container_logs', { id: container.id }) as string[]) })));
  },
  code: (state) => (state.outputs.length === 0 ? { javascript, python } : answer(state.outputs[0] as { name: string; error: string }[])),
});

function find(id: string): Container {
  const container = containers.find((candidate) => candidate.id === id);
  if (container === undefined) throw new Error(`No such container: ${id}`);
  return container;
}
