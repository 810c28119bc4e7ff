/**
 * A seeded pseudo-random generator (mulberry32): the same seed gives the same sequence on every
 * run and machine. Use it for scenario backing data, never `Math.random`.
 *
 * @example
 * ```ts
 * const random = seededRandom(42);
 * const amount = integer(random, 10, 500);
 * ```
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in `[min, max]` (both included) drawn from `random`. */
export function integer(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** One element of `items` chosen by `random`. */
export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** A zero-padded id: `id('e', 7, 2)` is `'e07'`. */
export function id(prefix: string, index: number, width: number): string {
  return `${prefix}${String(index).padStart(width, '0')}`;
}

/** A 32-bit seed from a text (FNV-1a): `seededRandom(seedOf('my-scenario:expenses'))`. */
export function seedOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A number in `[0, 1)` determined by `text` alone: a deterministic coin for "does this happen?". */
export function uniformOf(text: string): number {
  return seededRandom(seedOf(text))();
}
