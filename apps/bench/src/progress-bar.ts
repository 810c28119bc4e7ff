/** A phase of the run, as planned before it starts. */
export interface ProgressPhase {
  /** Short name shown in the bar (`matrix`, `break-even`, `micro-benchmarks`). */
  readonly name: string;
  /** Units of work in the phase (runs, tasks); at least 1. */
  readonly steps: number;
  /** Estimated duration of the whole phase before it starts, in seconds. */
  readonly estimatedSeconds: number;
}

/** `75` → `1m15s`, `8` → `8s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole}s`;
  return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
}

interface PhaseState extends ProgressPhase {
  done: number;
  startedAt?: number;
  finishedAt?: number;
}

/**
 * Progress over every phase of a run, with an estimate of the time left: one updating line on a
 * TTY, a line every few seconds otherwise. The estimate is the current phase extrapolated from its
 * own pace (its planned estimate until a step is done) plus the planned estimates of the phases
 * still to come.
 */
export class ProgressBar {
  readonly #stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly #tty: boolean;
  readonly #now: () => number;
  readonly #started: number;
  readonly #phases: PhaseState[];
  #current = -1;
  #lastLineAt = Number.NEGATIVE_INFINITY;

  constructor(phases: readonly ProgressPhase[], stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number } = process.stderr, now: () => number = () => performance.now()) {
    this.#phases = phases.map((phase) => ({ ...phase, steps: Math.max(1, Math.round(phase.steps)), done: 0 }));
    this.#stream = stream;
    this.#tty = stream.isTTY === true;
    this.#now = now;
    this.#started = now();
  }

  /** Starts the named phase (earlier phases count as done). */
  startPhase(name: string, label = name): void {
    const index = this.#phases.findIndex((phase) => phase.name === name);
    if (index === -1) throw new Error(`unknown progress phase ${name}`);
    const now = this.#now();
    for (let earlier = 0; earlier < index; earlier++) {
      const phase = this.#phases[earlier]!;
      phase.done = phase.steps;
      phase.finishedAt ??= now;
    }
    this.#current = index;
    this.#phases[index]!.startedAt = now;
    this.#render(label, true);
  }

  /** One unit of work of the current phase done; `label` says what. */
  tick(label: string): void {
    const phase = this.#phases[this.#current];
    if (phase !== undefined) phase.done = Math.min(phase.steps, phase.done + 1);
    this.#render(label, false);
  }

  /** A message that should stay visible (no work done). */
  note(label: string): void {
    this.#render(label, true);
  }

  /** Fraction of the estimated total work done, 0 to 1 (phases weighted by their estimates). */
  fraction(): number {
    const total = this.#phases.reduce((sum, phase) => sum + Math.max(0.1, phase.estimatedSeconds), 0);
    const done = this.#phases.reduce((sum, phase) => sum + Math.max(0.1, phase.estimatedSeconds) * (phase.done / phase.steps), 0);
    return total === 0 ? 1 : Math.min(1, done / total);
  }

  /** Estimated seconds left: the current phase at its own pace, then the planned estimates of the rest. */
  secondsLeft(): number {
    const now = this.#now();
    let left = 0;
    this.#phases.forEach((phase, index) => {
      if (index < this.#current || phase.done >= phase.steps) return;
      if (index > this.#current) {
        left += phase.estimatedSeconds;
        return;
      }
      const elapsed = (now - (phase.startedAt ?? now)) / 1000;
      left += phase.done === 0 ? Math.max(0, phase.estimatedSeconds - elapsed) : (elapsed / phase.done) * (phase.steps - phase.done);
    });
    return left;
  }

  /** Ends the bar's line. */
  finish(label: string): void {
    for (const phase of this.#phases) phase.done = phase.steps;
    this.#current = this.#phases.length;
    this.#render(label, true);
    if (this.#tty) this.#stream.write('\n');
  }

  #render(label: string, force: boolean): void {
    const fraction = this.fraction();
    const now = this.#now();
    const elapsed = (now - this.#started) / 1000;
    const phase = this.#phases[this.#current];
    const phaseText = phase === undefined ? '' : `[${this.#current + 1}/${this.#phases.length} ${phase.name} ${phase.done}/${phase.steps}] `;
    const left = this.#current >= this.#phases.length ? 'done' : `~${formatDuration(this.secondsLeft())} left`;
    const text = `${String(Math.round(fraction * 100)).padStart(3)}% ${phaseText}${formatDuration(elapsed)} elapsed, ${left} · ${label}`;
    if (this.#tty) {
      const width = 20;
      const filled = Math.round(fraction * width);
      const columns = this.#stream.columns !== undefined && this.#stream.columns > 0 ? this.#stream.columns : 100;
      this.#stream.write(`\r\u001b[2K${`[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}`.slice(0, Math.max(20, columns - 1))}`);
      return;
    }
    if (force || now - this.#lastLineAt >= 5_000) {
      this.#lastLineAt = now;
      this.#stream.write(`bench: ${text}\n`);
    }
  }
}
