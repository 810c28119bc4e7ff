/** Progress on a stream: one updating line on a TTY, a line every few seconds otherwise. */
export class ProgressBar {
  readonly #stream: NodeJS.WriteStream;
  readonly #tty: boolean;
  readonly #started = performance.now();
  #total: number;
  #done = 0;
  #lastLineAt = 0;

  constructor(total: number, stream: NodeJS.WriteStream = process.stderr) {
    this.#total = Math.max(1, total);
    this.#stream = stream;
    this.#tty = stream.isTTY;
  }

  /** Adds work to the total (e.g. the micro-benchmark step). */
  grow(steps: number): void {
    this.#total += steps;
  }

  /** One unit of work done; `label` says what. */
  tick(label: string): void {
    this.#done = Math.min(this.#total, this.#done + 1);
    this.#render(label, false);
  }

  /** A message that should stay visible (a phase change). */
  note(label: string): void {
    this.#render(label, true);
  }

  /** Ends the bar's line. */
  finish(label: string): void {
    this.#done = this.#total;
    this.#render(label, true);
    if (this.#tty) this.#stream.write('\n');
  }

  #render(label: string, force: boolean): void {
    const fraction = this.#done / this.#total;
    const seconds = ((performance.now() - this.#started) / 1000).toFixed(0);
    const text = `${String(Math.round(fraction * 100)).padStart(3)}% ${this.#done}/${this.#total} ${seconds}s ${label}`;
    if (this.#tty) {
      const width = 24;
      const filled = Math.round(fraction * width);
      const columns = this.#stream.columns ?? 100;
      this.#stream.write(`\r\u001b[2K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}`.slice(0, columns + 6));
      return;
    }
    const now = performance.now();
    if (force || now - this.#lastLineAt >= 5_000 || this.#done === this.#total) {
      this.#lastLineAt = now;
      this.#stream.write(`bench: ${text}\n`);
    }
  }
}
