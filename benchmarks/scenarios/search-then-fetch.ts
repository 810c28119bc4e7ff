// Search, then fetch every hit of a large document set and extract one figure from each.
import { defineScenario, id, integer, pick, seededRandom } from '@codecall/bench-scenarios';

interface Document {
  id: string;
  title: string;
  tags: string[];
  body: string;
}

const filler = [
  'The on-call engineer acknowledged the page within the response objective.',
  'Dashboards showed elevated p99 latency on the API gateway before the first alert fired.',
  'A configuration change had been rolled out to a subset of hosts earlier that day.',
  'The team followed the runbook and escalated to the database owners.',
  'Customer support published a status page update and answered incoming tickets.',
  'Replication lag grew steadily while the primary was under sustained write load.',
  'Several background jobs retried aggressively, which amplified the load.',
  'Follow-up actions were assigned and tracked in the reliability review.',
  'Synthetic checks from three regions confirmed the degradation independently.',
  'The incident commander coordinated mitigation in the shared channel.',
];
const systems = ['billing', 'search', 'checkout', 'auth', 'reporting', 'notifications'];

const documents: Document[] = (() => {
  const random = seededRandom(9001);
  return Array.from({ length: 60 }, (_, index) => {
    const failover = index % 5 === 0 || index % 7 === 0;
    const system = pick(random, systems);
    const minutes = integer(random, 4, 180);
    const sentences = Array.from({ length: 24 }, () => pick(random, filler));
    sentences.splice(integer(random, 3, 20), 0, `Customer-facing outage: ${minutes} minutes.`);
    if (failover) sentences.splice(integer(random, 1, 10), 0, 'The root cause involved a database failover that did not complete cleanly.');
    return {
      id: id('PM-', index + 1, 3),
      title: `Postmortem: ${system} incident #${index + 1}`,
      tags: failover ? ['postmortem', system, 'database failover'] : ['postmortem', system],
      body: sentences.join(' '),
    };
  });
})();

const minutesIn = (body: string): number => Number(/Customer-facing outage: (\d+) minutes/.exec(body)?.[1] ?? Number.NaN);
const hits = documents.filter((document) => document.tags.includes('database failover'));
const longest = hits.reduce((best, document) => (minutesIn(document.body) > minutesIn(best.body) ? document : best));

const javascript = `const hits = await search_documents({ query: 'database failover' });
const docs = await Promise.all(hits.map((hit) => fetch_document({ id: hit.id })));
let best = null;
for (const d of docs) {
  const m = /Customer-facing outage: (\\d+) minutes/.exec(d.body);
  if (m && (best === null || Number(m[1]) > best.minutes)) best = { id: d.id, minutes: Number(m[1]) };
}
console.log(JSON.stringify(best));`;

const python = `import asyncio, json, re
hits = await search_documents({"query": "database failover"})
docs = await asyncio.gather(*[fetch_document({"id": h["id"]}) for h in hits])
best = None
for d in docs:
    m = re.search(r"Customer-facing outage: (\\d+) minutes", d["body"])
    if m and (best is None or int(m.group(1)) > best["minutes"]):
        best = {"id": d["id"], "minutes": int(m.group(1))}
print(json.dumps(best))`;

const answer = (best: { id: string; minutes: number }): string => `The longest customer-facing outage among the database-failover postmortems is ${best.id}: ${best.minutes} minutes.`;

export const scenario = defineScenario({
  id: 'search-then-fetch',
  title: 'Search then fetch over a large document set',
  description: `Search 60 postmortems, fetch the ${hits.length} hits (~2 KB each) and compare one figure in each. Direct modes read every document.`,
  expectation: 'wins',
  workload: 'analysis',
  tools: [
    {
      name: 'search_documents',
      description: 'Full-text search over the postmortem library. Returns every matching document: id, title and a short snippet.',
      inputSchema: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
      execute: (input) => {
        const query = (input as { query: string }).query.toLowerCase();
        return documents
          .filter((document) => document.body.toLowerCase().includes(query) || document.tags.includes(query))
          .map((document) => ({ id: document.id, title: document.title, snippet: `${document.body.slice(0, 90)}…` }));
      },
    },
    {
      name: 'fetch_document',
      description: 'The full text of one document: id, title, tags, body.',
      inputSchema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      execute: (input) => {
        const document = documents.find((candidate) => candidate.id === (input as { id: string }).id);
        if (document === undefined) throw new Error('No such document.');
        return document;
      },
    },
  ],
  task: 'Among our incident postmortems about a database failover, which incident had the longest customer-facing outage? Give the document id and the number of minutes.',
  expected: `${longest.id}, ${minutesIn(longest.body)} minutes`,
  check: (text) => text.includes(longest.id) && new RegExp(`\\b${minutesIn(longest.body)} minutes`).test(text),
  direct: (state) => {
    const found = state.find('search_documents', { query: 'database failover' }) as { id: string }[] | undefined;
    if (found === undefined) return [{ tool: 'search_documents', input: { query: 'database failover' } }];
    const missing = found.filter((hit) => !state.has('fetch_document', { id: hit.id }));
    if (missing.length > 0) return missing.map((hit) => ({ tool: 'fetch_document', input: { id: hit.id } }));
    const fetched = found.map((hit) => state.find('fetch_document', { id: hit.id }) as Document);
    const best = fetched.reduce((a, b) => (minutesIn(b.body) > minutesIn(a.body) ? b : a));
    return answer({ id: best.id, minutes: minutesIn(best.body) });
  },
  code: (state) => (state.outputs.length === 0 ? { javascript, python } : answer(state.outputs[0] as { id: string; minutes: number })),
});
