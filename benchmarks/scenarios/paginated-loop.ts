// A 20-iteration loop with a data-dependent stop: each page names the next one (an opaque cursor),
// so no mode can fetch pages ahead; only code avoids a model round trip per page.
import { defineScenario, id, integer, pick, seededRandom } from '@codecall/bench-scenarios';

interface Entry {
  id: string;
  timestamp: string;
  actor: string;
  action: 'refund' | 'charge' | 'login' | 'update';
  amountUsd: number;
}
interface Page {
  entries: Entry[];
  nextCursor: string | null;
}

const pageSize = 12;
const pageCount = 40;
const threshold = 11_250;
const cursorOf = (page: number): string => `c${((page * 2654435761) >>> 0).toString(36)}`;
const pages = new Map<string, Page>();
{
  const random = seededRandom(4242);
  for (let page = 1; page <= pageCount; page++) {
    const entries: Entry[] = Array.from({ length: pageSize }, (_, index) => {
      const action = pick(random, ['refund', 'charge', 'charge', 'login', 'update'] as const);
      return {
        id: id('evt-', page * 100 + index, 5),
        timestamp: new Date(Date.UTC(2025, 8, 30) - (page * pageSize + index) * 3_600_000).toISOString(),
        actor: pick(random, ['ops-bot', 'alice', 'bob', 'carol']),
        action,
        amountUsd: action === 'refund' || action === 'charge' ? integer(random, 40, 420) : 0,
      };
    });
    pages.set(page === 1 ? 'start' : cursorOf(page), { entries, nextCursor: page < pageCount ? cursorOf(page + 1) : null });
  }
}

/** Walks pages like the model does: returns the crossing entry and page, or the cursor still needed. */
function walk(read: (cursor: string) => Page | undefined): { need: string } | { page: number; entry: string } | { page: number; entry: null } {
  let cursor: string | null = 'start';
  let total = 0;
  let page = 0;
  while (cursor !== null) {
    const current = read(cursor);
    if (current === undefined) return { need: cursor };
    page++;
    for (const entry of current.entries) {
      if (entry.action !== 'refund') continue;
      total += entry.amountUsd;
      if (total > threshold) return { page, entry: entry.id };
    }
    cursor = current.nextCursor;
  }
  return { page, entry: null };
}

const expected = walk((cursor) => pages.get(cursor));
if (!('entry' in expected) || expected.entry === null) throw new Error('paginated-loop: the data never crosses the threshold');

const javascript = `let cursor = 'start', total = 0, page = 0, found = null;
while (cursor !== null && found === null) {
  const current = await get_audit_log_page({ cursor });
  page++;
  for (const e of current.entries) {
    if (e.action !== 'refund') continue;
    total += e.amountUsd;
    if (total > ${threshold}) { found = e.id; break; }
  }
  cursor = current.nextCursor;
}
console.log(JSON.stringify({ page, entry: found }));`;

const python = `import json
cursor, total, page, found = "start", 0, 0, None
while cursor is not None and found is None:
    current = await get_audit_log_page({"cursor": cursor})
    page += 1
    for e in current["entries"]:
        if e["action"] != "refund":
            continue
        total += e["amountUsd"]
        if total > ${threshold}:
            found = e["id"]
            break
    cursor = current["nextCursor"]
print(json.dumps({"page": page, "entry": found}))`;

const answer = (page: number, entry: string | null): string => (entry === null ? 'The refunds never exceed the threshold.' : `The running refund total crosses $${threshold} on page ${page}, at entry ${entry}.`);

export const scenario = defineScenario({
  id: 'paginated-loop',
  title: '20-iteration loop with a data-dependent stop',
  description: `Walk an audit log page by page (opaque cursors) until the running total of refunds exceeds $${threshold}: ${expected.page} dependent calls. Code runs the loop without a model round trip per page.`,
  expectation: 'wins',
  workload: 'analysis',
  tools: [
    {
      name: 'get_audit_log_page',
      description: `One page of the billing audit log, newest first (${pageSize} entries: id, timestamp, actor, action, amountUsd) and the cursor of the next page (null on the last page). Start with cursor "start".`,
      inputSchema: { type: 'object', properties: { cursor: { type: 'string' } }, required: ['cursor'] },
      execute: (input) => {
        const page = pages.get((input as { cursor: string }).cursor);
        if (page === undefined) throw new Error('Unknown cursor.');
        return page;
      },
    },
  ],
  task: `Walk the billing audit log from the newest page (cursor "start"), adding up refund amounts as you go. On which page, and at which entry id, does the running refund total first exceed $${threshold}?`,
  expected: `page ${expected.page}, ${expected.entry}`,
  check: (text) => new RegExp(`page ${expected.page}\\b`).test(text) && text.includes(expected.entry),
  direct: (state) => {
    const result = walk((cursor) => state.find('get_audit_log_page', { cursor }) as Page | undefined);
    if ('need' in result) return [{ tool: 'get_audit_log_page', input: { cursor: result.need } }];
    return answer(result.page, result.entry);
  },
  code: (state) => {
    if (state.outputs.length === 0) return { javascript, python };
    const output = state.outputs[0] as { page: number; entry: string | null };
    return answer(output.page, output.entry);
  },
});
