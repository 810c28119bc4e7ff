// Ten independent lookups: the case parallel tool use already handles in two round trips.
import { defineScenario, integer, pick, seededRandom } from '@codecall/bench-scenarios';

interface Weather {
  city: string;
  temperatureC: number;
  conditions: string;
  humidityPercent: number;
  windKph: number;
  forecast: { day: string; highC: number; lowC: number; conditions: string }[];
}

const cities = ['Lisbon', 'Oslo', 'Cairo', 'Lima', 'Osaka', 'Perth', 'Quito', 'Tunis', 'Warsaw', 'Hanoi'];
const conditions = ['clear', 'cloudy', 'rain', 'windy', 'fog'];
const days = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'];

function weatherOf(city: string): Weather {
  const random = seededRandom([...city].reduce((sum, char) => sum * 31 + char.charCodeAt(0), 7) >>> 0);
  return {
    city,
    temperatureC: integer(random, -5, 34),
    conditions: pick(random, conditions),
    humidityPercent: integer(random, 20, 95),
    windKph: integer(random, 0, 60),
    forecast: days.map((day) => ({ day, highC: integer(random, 0, 36), lowC: integer(random, -8, 20), conditions: pick(random, conditions) })),
  };
}

function summary(list: readonly { city: string; temperatureC: number }[]): string {
  const warmest = list.reduce((best, item) => (item.temperatureC > best.temperatureC ? item : best));
  const average = list.reduce((sum, item) => sum + item.temperatureC, 0) / list.length;
  return `Warmest: ${warmest.city} (${warmest.temperatureC} °C). Average: ${average.toFixed(1)} °C.`;
}

const expectedList = cities.map(weatherOf);
const warmest = expectedList.reduce((best, item) => (item.temperatureC > best.temperatureC ? item : best));
const average = (expectedList.reduce((sum, item) => sum + item.temperatureC, 0) / expectedList.length).toFixed(1);

const javascript = `const cities = ${JSON.stringify(cities)};
const all = await Promise.all(cities.map((city) => get_weather({ city })));
const warmest = all.reduce((a, b) => (b.temperatureC > a.temperatureC ? b : a));
const average = all.reduce((s, w) => s + w.temperatureC, 0) / all.length;
console.log(JSON.stringify({ warmest: warmest.city, temperatureC: warmest.temperatureC, average: average.toFixed(1) }));`;

const python = `import asyncio, json
cities = ${JSON.stringify(cities)}
all_weather = await asyncio.gather(*[get_weather({"city": c}) for c in cities])
warmest = max(all_weather, key=lambda w: w["temperatureC"])
average = sum(w["temperatureC"] for w in all_weather) / len(all_weather)
print(json.dumps({"warmest": warmest["city"], "temperatureC": warmest["temperatureC"], "average": f"{average:.1f}"}))`;

export const scenario = defineScenario({
  id: 'independent-lookups',
  title: '10 independent lookups',
  description: 'Ten independent weather lookups, then a small aggregate. Parallel tool use already needs only two round trips; code saves the results entering the context.',
  expectation: 'wins',
  workload: 'analysis',
  tools: [
    {
      name: 'get_weather',
      description: 'Current weather and a 5-day forecast for a city.',
      inputSchema: { type: 'object', properties: { city: { type: 'string', description: 'City name.' } }, required: ['city'] },
      execute: (input) => weatherOf((input as { city: string }).city),
    },
  ],
  task: `What is the current temperature in ${cities.join(', ')}? Tell me which city is warmest right now and the average temperature across the ten (one decimal).`,
  expected: `Warmest: ${warmest.city}; average ${average} °C`,
  check: (text) => text.includes(warmest.city) && text.includes(average) && new RegExp(`Warmest:\\s*${warmest.city}`).test(text),
  direct: (state) => {
    const missing = cities.filter((city) => !state.has('get_weather', { city }));
    if (missing.length > 0) return missing.map((city) => ({ tool: 'get_weather', input: { city } }));
    return summary(cities.map((city) => state.find('get_weather', { city }) as Weather));
  },
  code: (state) => {
    if (state.outputs.length === 0) return { javascript, python };
    const output = state.outputs[0] as { warmest: string; temperatureC: number; average: string };
    return `Warmest: ${output.warmest} (${output.temperatureC} °C). Average: ${output.average} °C.`;
  },
});
