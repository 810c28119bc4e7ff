// Filter ~100 items out of one large result: in direct modes the whole inventory enters the context.
import { defineScenario, id, integer, pick, seededRandom } from '@codecall/bench-scenarios';

interface Item {
  sku: string;
  name: string;
  category: string;
  priceUsd: number;
  stock: number;
  supplier: string;
}

const categories = ['electronics', 'garden', 'kitchen', 'toys', 'sports', 'office'];
const suppliers = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli'];
const inventory: Item[] = (() => {
  const random = seededRandom(1200);
  return Array.from({ length: 1_200 }, (_, index) => {
    const category = random() < 1 / 3 ? 'electronics' : pick(random, categories.slice(1));
    return { sku: id('SKU-', index + 1, 5), name: `${category} item ${index + 1}`, category, priceUsd: integer(random, 5, 400), stock: integer(random, 0, 39), supplier: pick(random, suppliers) };
  });
})();

const target = 50;
const selected = (items: readonly Item[]): Item[] => items.filter((item) => item.category === 'electronics' && item.stock < 10);
const restockValue = (items: readonly Item[]): number => items.reduce((sum, item) => sum + item.priceUsd * (target - item.stock), 0);
const expectedItems = selected(inventory);

const javascript = `const items = await get_inventory({ warehouse: 'WH-1' });
const low = items.filter((i) => i.category === 'electronics' && i.stock < 10);
const value = low.reduce((s, i) => s + i.priceUsd * (${target} - i.stock), 0);
console.log(JSON.stringify({ count: low.length, value }));`;

const python = `import json
items = await get_inventory({"warehouse": "WH-1"})
low = [i for i in items if i["category"] == "electronics" and i["stock"] < 10]
value = sum(i["priceUsd"] * (${target} - i["stock"]) for i in low)
print(json.dumps({"count": len(low), "value": value}))`;

const answer = (count: number, value: number): string => `${count} electronics items are low on stock; restocking them to ${target} units costs $${value}.`;

export const scenario = defineScenario({
  id: 'filter-large-result',
  title: 'Filter 100 items out of one large result',
  description: 'One call returns 1,200 inventory items (~110 KB of JSON); the task needs the ~100 low-stock electronics. Direct modes read the whole result; code reads two numbers.',
  expectation: 'fewer-tokens',
  workload: 'analysis',
  tools: [
    {
      name: 'get_inventory',
      description: 'Every item stocked in a warehouse: sku, name, category, priceUsd, stock (units), supplier.',
      inputSchema: { type: 'object', properties: { warehouse: { type: 'string', description: 'Warehouse id, e.g. "WH-1".' } }, required: ['warehouse'] },
      execute: (input) => ((input as { warehouse: string }).warehouse === 'WH-1' ? inventory : []),
    },
  ],
  task: `In warehouse WH-1, how many electronics items have fewer than 10 units in stock, and what would it cost (price x missing units) to restock each of them to ${target} units? Give the count and the total in dollars.`,
  expected: `${expectedItems.length} items, $${restockValue(expectedItems)}`,
  check: (text) => {
    const numbers = (text.replace(/,/g, '').match(/\d+/g) ?? []).map(Number);
    return numbers.includes(expectedItems.length) && numbers.includes(restockValue(expectedItems));
  },
  direct: (state) => {
    const items = state.find('get_inventory', { warehouse: 'WH-1' }) as Item[] | undefined;
    if (items === undefined) return [{ tool: 'get_inventory', input: { warehouse: 'WH-1' } }];
    const low = selected(items);
    return answer(low.length, restockValue(low));
  },
  code: (state) => {
    if (state.outputs.length === 0) return { javascript, python };
    const output = state.outputs[0] as { count: number; value: number };
    return answer(output.count, output.value);
  },
});
