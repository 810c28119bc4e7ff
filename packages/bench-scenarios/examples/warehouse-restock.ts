// A scenario file as a user writes it outside this repository (see benchmarks/scenarios/README.md):
// which products of a warehouse must be reordered? Stock levels are fetched per product, then the
// supplier lead time is looked up only for the products below their reorder point: choosing those
// needs the stock figures first (a data-dependent step: in code mode, a second program).
import { defineScenario, id, integer, seededRandom } from '@codecall/bench-scenarios';
import type { CodeState, DirectState, DirectTurn, ScenarioProgram } from '@codecall/bench-scenarios';

interface Product {
  readonly sku: string;
  readonly reorderPoint: number;
}

const random = seededRandom(20_251_202);
const products: Product[] = Array.from({ length: 12 }, (_, index) => ({ sku: id('SKU-', index + 1, 3), reorderPoint: integer(random, 20, 60) }));
const stock = new Map(products.map((product) => [product.sku, integer(random, 0, 120)]));
const leadDays = new Map(products.map((product) => [product.sku, integer(random, 2, 30)]));
const low = products.filter((product) => (stock.get(product.sku) ?? 0) < product.reorderPoint);
const urgent = low.filter((product) => (leadDays.get(product.sku) ?? 0) > 14).map((product) => product.sku);

const answer = (skus: readonly string[]): string => `Reorder now (below reorder point, lead time over 14 days): ${skus.length === 0 ? 'none' : skus.join(', ')}`;

function direct(state: DirectState): DirectTurn {
  const list = state.find('list_products') as Product[] | undefined;
  if (list === undefined) return { calls: [{ tool: 'list_products' }], text: 'I will list the products first.' };
  const missingStock = list.filter((product) => !state.has('get_stock', { sku: product.sku }));
  if (missingStock.length > 0) return missingStock.map((product) => ({ tool: 'get_stock', input: { sku: product.sku } }));
  const below = list.filter((product) => (state.find('get_stock', { sku: product.sku }) as number) < product.reorderPoint);
  const missingLead = below.filter((product) => !state.has('get_lead_time', { sku: product.sku }));
  // Which lead times to look up depends on the stock figures just read.
  if (missingLead.length > 0) return { calls: missingLead.map((product) => ({ tool: 'get_lead_time', input: { sku: product.sku } })), dataDependent: true };
  return answer(below.filter((product) => (state.find('get_lead_time', { sku: product.sku }) as number) > 14).map((product) => product.sku));
}

function code(state: CodeState): ScenarioProgram | string {
  if (state.outputs.length === 0) {
    return {
      javascript: `const list = await list_products({});
const levels = await Promise.all(list.map((p) => get_stock({ sku: p.sku })));
console.log(JSON.stringify(list.filter((p, i) => levels[i] < p.reorderPoint).map((p) => p.sku)));`,
      python: `import asyncio, json
items = await list_products({})
levels = await asyncio.gather(*[get_stock({"sku": p["sku"]}) for p in items])
print(json.dumps([p["sku"] for p, level in zip(items, levels) if level < p["reorderPoint"]]))`,
      dataDependent: true,
    };
  }
  if (state.outputs.length === 1) {
    const skus = JSON.stringify(state.outputs[0]);
    return {
      javascript: `const skus = ${skus};
const days = await Promise.all(skus.map((sku) => get_lead_time({ sku })));
console.log(JSON.stringify(skus.filter((_, i) => days[i] > 14)));`,
      python: `import asyncio, json
skus = ${skus}
days = await asyncio.gather(*[get_lead_time({"sku": s}) for s in skus])
print(json.dumps([s for s, d in zip(skus, days) if d > 14]))`,
    };
  }
  return answer(Array.isArray(state.outputs[1]) ? (state.outputs[1] as string[]) : []);
}

export const scenario = defineScenario({
  id: 'warehouse-restock',
  title: 'Warehouse restock',
  description: 'List -> stock per product (fan-out) -> lead time for the low ones only (data-dependent) -> which to reorder now.',
  expectation: 'wins',
  tools: [
    {
      name: 'list_products',
      description: 'Products of the warehouse. Returns an array of { sku: string, reorderPoint: number }.',
      inputSchema: { type: 'object', properties: {} },
      execute: () => products,
    },
    {
      name: 'get_stock',
      description: 'Units in stock of one product.',
      inputSchema: { type: 'object', properties: { sku: { type: 'string' } }, required: ['sku'] },
      outputSchema: { type: 'integer' },
      execute: (input) => stock.get((input as { sku: string }).sku) ?? 0,
    },
    {
      name: 'get_lead_time',
      description: 'Supplier lead time of one product, in days.',
      inputSchema: { type: 'object', properties: { sku: { type: 'string' } }, required: ['sku'] },
      outputSchema: { type: 'integer' },
      execute: (input) => leadDays.get((input as { sku: string }).sku) ?? 0,
    },
  ],
  // list_products states its result shape in its description; the other two have an outputSchema.
  declaredOutputs: ['list_products'],
  task: 'Which products are below their reorder point and have a supplier lead time over 14 days? Answer with their SKUs.',
  expected: urgent.join(', '),
  check: (text) => {
    const found = [...new Set(text.match(/SKU-\d{3}/g) ?? [])].sort();
    return found.join(',') === [...urgent].sort().join(',');
  },
  direct,
  code,
});
