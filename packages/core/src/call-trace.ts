import type { ToolCallRecord } from './trace.js';

/**
 * Internal: the trace of one dispatcher, in the order its calls finished. A run's records live as
 * long as the run, and every scavenge of the host's young generation copies what is still alive
 * (twice, before promoting it), so the common record, a plain success, is kept as four array slots
 * and three numbers in a Float64Array instead of an object and three heap numbers. Its
 * `ToolCallRecord` is made when the trace is read, normally once, at the end of the run.
 */
export class CallTrace {
  // Four slots per call: a record made by the caller (and three unused), or id, name, input, output.
  readonly #slots: unknown[] = [];
  // startedAt, offsetMs and durationMs of each call, by its index (unused for records made by the caller).
  #times = new Float64Array(3 * 32);
  #count = 0;
  readonly #records: ToolCallRecord[] = [];

  /** Adds a record made by the caller. */
  add(record: ToolCallRecord): void {
    this.#slots.push(record, undefined, undefined, undefined);
    this.#count++;
  }

  /** Adds a plain success, read back as `{ id, name, input, startedAt, offsetMs, durationMs, output }`. */
  addPlain(id: string, name: string, input: unknown, startedAt: number, offsetMs: number, durationMs: number, output: unknown): void {
    const at = 3 * this.#count;
    if (at + 3 > this.#times.length) {
      const grown = new Float64Array(this.#times.length * 2);
      grown.set(this.#times);
      this.#times = grown;
    }
    this.#times[at] = startedAt;
    this.#times[at + 1] = offsetMs;
    this.#times[at + 2] = durationMs;
    this.#slots.push(id, name, input, output);
    this.#count++;
  }

  /** The records so far, in the order added: the same array on every read, grown by the records added since. */
  records(): readonly ToolCallRecord[] {
    const slots = this.#slots;
    const times = this.#times;
    for (let index = this.#records.length; index < this.#count; index++) {
      const first = slots[4 * index];
      if (typeof first === 'string') {
        // Keys in the order the trace has always listed them.
        this.#records.push({
          id: first,
          name: slots[4 * index + 1] as string,
          input: slots[4 * index + 2],
          startedAt: times[3 * index] as number,
          offsetMs: times[3 * index + 1] as number,
          durationMs: times[3 * index + 2] as number,
          output: slots[4 * index + 3],
        });
      } else {
        this.#records.push(first as ToolCallRecord);
      }
    }
    return this.#records;
  }
}
