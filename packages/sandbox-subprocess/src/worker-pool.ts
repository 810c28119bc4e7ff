import type { RunnerProcess } from './runner-process.js';

/** Settings of the warm pool of pre-spawned runners. */
export interface SubprocessPoolSettings {
  /**
   * Idle runners kept ready per pool key (runtime, language and memory limit). A run takes one and
   * a replacement starts at once. `0` disables the pool (every run spawns). Default 2.
   */
  readonly size?: number;
  /** An idle runner unused this long is stopped, in milliseconds. Default 60,000. */
  readonly idleTimeoutMs?: number;
  /**
   * Runs one runner process may serve. Default 1: runners are one-shot and never shared between
   * runs. Above 1, a runner that finished cleanly goes back to the pool: globals, imported modules
   * and files in its working directory then survive into the next run — only for trusted code.
   */
  readonly maxReuse?: number;
  /**
   * Tool calls of the rehearsal run a pooled runner makes over its real protocol stream, with the
   * host's own code, before it counts as ready (`rehearsalRequest` of `@codecall/runner`): a fresh
   * process's first guest run is then much faster (a pooled one-shot node run of 10 calls: 6.1 →
   * 2.4 ms on the development VM), for 7–9 ms of host CPU and about 10 MB per node runner (see the
   * README's Warm pool). The guest still gets a process no other guest ran in. A run that takes a
   * runner still rehearsing cuts the rehearsal short. `0`: no rehearsal. Default 100.
   */
  readonly rehearsalCalls?: number;
  /**
   * Every this many milliseconds, the pool writes each ready idle runner one line it ignores (an
   * answer to call 0, runner protocol), so that a run after a pause finds the runner's process
   * warm: on the development VM a pooled one-shot node run after 1 s idle took 1.59–1.62 ms with
   * a line every 50 ms against 2.93–3.08 ms without, python 1.95–1.99 against 2.51–2.96 ms (see
   * the README's Warm pool). It costs a wake-up of every idle runner and of the host per interval,
   * about 2 % of one core for four idle runners at 50 ms. `0` (the default) writes nothing;
   * otherwise at least 10.
   */
  readonly keepWarmMs?: number;
  /**
   * Languages to warm up when the sandbox is created, with the default memory limit. Default none:
   * a key's pool fills after its first run.
   */
  readonly prewarm?: readonly ('javascript' | 'typescript' | 'python')[];
}

/** Resolved pool settings. */
export interface ResolvedPoolSettings {
  readonly size: number;
  readonly idleTimeoutMs: number;
  readonly maxReuse: number;
  readonly rehearsalCalls: number;
  /** 0: off. */
  readonly keepWarmMs: number;
}

/**
 * Idle runners by key. `take` hands out an idle runner and `fill` (after the run) starts
 * replacements; dead runners leave the pool and are replaced on the next demand (a few start
 * failures in a row stop the refilling until a run asks again, so a broken launcher does not spin).
 * With `maxReuse`, a runner on loan that may serve more runs counts as pooled: it comes back.
 */
export class WorkerPool {
  readonly #settings: ResolvedPoolSettings;
  readonly #spawn: (key: string) => RunnerProcess;
  readonly #idle = new Map<string, RunnerProcess[]>();
  /** Runners handed out by `take` that may come back (`maxReuse` above 1), per key. */
  readonly #lent = new Map<string, Set<RunnerProcess>>();
  /** Runners on loan whose run has its result and that clean up before they come back, per key. */
  readonly #finishing = new Map<string, Set<RunnerProcess>>();
  // Runners the pool killed (used up, surplus, idle too long), until reaped and cleaned up: `dispose` waits for them.
  readonly #retiring = new Set<RunnerProcess>();
  /** Runs waiting for a finishing runner, per key, oldest first. */
  readonly #waiters = new Map<string, ((runner: RunnerProcess | undefined) => void)[]>();
  readonly #failures = new Map<string, number>();
  readonly #sweeper: NodeJS.Timeout | undefined;
  readonly #keepWarm: NodeJS.Timeout | undefined;
  #disposed = false;

  constructor(settings: ResolvedPoolSettings, spawnRunner: (key: string) => RunnerProcess) {
    this.#settings = settings;
    this.#spawn = spawnRunner;
    if (settings.size > 0) {
      this.#sweeper = setInterval(() => this.#sweep(), Math.max(250, Math.min(settings.idleTimeoutMs / 2, 10_000)));
      this.#sweeper.unref();
      if (settings.keepWarmMs > 0) {
        this.#keepWarm = setInterval(() => this.#nudgeIdle(), settings.keepWarmMs);
        this.#keepWarm.unref();
      }
    }
  }

  /**
   * An idle (or still starting) runner for `key`, or `undefined`. No replacement starts here: the
   * caller calls `fill` once its run is over, so that spawning (which blocks the event loop for a
   * few milliseconds and competes for CPU while the interpreter boots) never slows a run down.
   */
  take(key: string): RunnerProcess | undefined {
    const list = this.#idle.get(key);
    let runner: RunnerProcess | undefined;
    while (list !== undefined && list.length > 0) {
      const candidate = list.shift() as RunnerProcess;
      if (!candidate.dead) {
        runner = candidate;
        break;
      }
    }
    this.#failures.set(key, 0);
    if (runner !== undefined && this.#settings.maxReuse > 1) {
      const lent = this.#lent.get(key) ?? new Set();
      lent.add(runner);
      this.#lent.set(key, lent);
    }
    return runner;
  }

  /**
   * A runner on loan has its run's result and cleans up before it comes back (`release`) or not
   * (`abandon`): until then a run that finds no idle runner may wait for it (`awaitReturning`).
   */
  finishing(runner: RunnerProcess): void {
    const set = this.#finishing.get(runner.key) ?? new Set();
    set.add(runner);
    this.#finishing.set(runner.key, set);
    // It counts as returning (`fill`), also when the run started it rather than taking it.
    const lent = this.#lent.get(runner.key) ?? new Set();
    lent.add(runner);
    this.#lent.set(runner.key, lent);
  }

  /**
   * For a run that found no idle runner of `key` (`take`): a promise of a runner that is finishing
   * a run, which comes back within a millisecond or so, sooner than a new process starts. It
   * resolves with that runner (on loan to the caller) once it is back, or with `undefined` when it
   * does not come back (the caller starts one). `undefined` when no finishing runner is left over
   * for another waiter.
   */
  awaitReturning(key: string): Promise<RunnerProcess | undefined> | undefined {
    const waiters = this.#waiters.get(key) ?? [];
    if (this.#disposed || (this.#finishing.get(key)?.size ?? 0) <= waiters.length) return undefined;
    return new Promise((resolve) => {
      waiters.push(resolve);
      this.#waiters.set(key, waiters);
    });
  }

  /** A runner on loan will not come back (it is retired): it no longer counts as returning. */
  abandon(runner: RunnerProcess): void {
    this.#finishing.get(runner.key)?.delete(runner);
    this.#lent.get(runner.key)?.delete(runner);
    this.#dismissWaiters(runner.key);
  }

  /** Puts a runner that finished cleanly back, if it may serve more runs. Otherwise kills it. */
  release(runner: RunnerProcess): void {
    this.#finishing.get(runner.key)?.delete(runner);
    const reusable = !this.#disposed && !runner.dead && runner.runs < this.#settings.maxReuse && this.#settings.size > 0;
    // A run waiting for it takes it straight away (it stays on loan).
    const waiter = reusable ? this.#waiters.get(runner.key)?.shift() : undefined;
    if (waiter !== undefined) {
      waiter(runner);
      return;
    }
    this.#lent.get(runner.key)?.delete(runner);
    this.#dismissWaiters(runner.key);
    const list = this.#idle.get(runner.key) ?? [];
    if (!reusable) {
      this.#retire(runner);
      return;
    }
    // A runner that already served runs is preferred over a fresh spare, which makes room for it.
    const surplus = list.length >= this.#settings.size ? list.pop() : undefined;
    if (surplus !== undefined) this.#retire(surplus);
    runner.idleSince = performance.now();
    list.unshift(runner);
    this.#idle.set(runner.key, list);
  }

  /**
   * Starts runners until `key` has `size` idle ones, counting runners on loan that will come back
   * (alive, with runs left): a reused runner that is busy needs no replacement, and one started
   * anyway would only be killed when it returns to a full pool.
   */
  fill(key: string): void {
    if (this.#disposed || this.#settings.size === 0) return;
    const list = (this.#idle.get(key) ?? []).filter((runner) => !runner.dead);
    this.#idle.set(key, list);
    const lent = this.#lent.get(key);
    let returning = 0;
    for (const runner of lent ?? []) {
      if (runner.dead || runner.runs >= this.#settings.maxReuse) lent?.delete(runner);
      else returning++;
    }
    while (list.length + returning < this.#settings.size && (this.#failures.get(key) ?? 0) < 3) {
      let runner: RunnerProcess;
      try {
        runner = this.#spawn(key);
      } catch {
        // Starting failed before there was a process (no space for its directory, a launcher that
        // threw, a spawn the system refused). `fill` also runs from timers and exit handlers, where
        // a throw would end the host: it counts as a failed start, and a run that needs a runner
        // starts its own and reports the error.
        this.#failures.set(key, (this.#failures.get(key) ?? 0) + 1);
        return;
      }
      runner.idleSince = performance.now();
      list.push(runner);
      runner.ready.then(
        () => this.#failures.set(key, 0),
        () => this.#failures.set(key, (this.#failures.get(key) ?? 0) + 1),
      );
      void runner.ended.then(() => {
        const current = this.#idle.get(key);
        const index = current?.indexOf(runner) ?? -1;
        if (current !== undefined && index >= 0) {
          current.splice(index, 1);
          // Replace a runner that died while idle (a crash, an OOM kill), unless starting fails.
          if (runner.isReady) this.fill(key);
        }
      });
    }
  }

  /** Resolves when every idle runner of `key` is ready (or failed to start). */
  async warm(key: string): Promise<void> {
    this.fill(key);
    await Promise.all((this.#idle.get(key) ?? []).map((runner) => runner.ready.catch(() => undefined)));
  }

  /** Idle runners of `key` (ready or starting). */
  idleCount(key: string): number {
    return (this.#idle.get(key) ?? []).filter((runner) => !runner.dead).length;
  }

  /** Waiters beyond the runners still finishing get `undefined` (they start a runner). */
  #dismissWaiters(key: string): void {
    const waiters = this.#waiters.get(key);
    const finishing = this.#finishing.get(key)?.size ?? 0;
    while (waiters !== undefined && waiters.length > finishing) waiters.pop()?.(undefined);
  }

  /**
   * Kills every idle runner; the pool accepts nothing afterwards. Resolves once those and every
   * runner the pool killed before are reaped and cleaned up.
   */
  async dispose(): Promise<void> {
    this.#disposed = true;
    for (const waiters of this.#waiters.values()) for (const waiter of waiters.splice(0)) waiter(undefined);
    this.#finishing.clear();
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper);
    if (this.#keepWarm !== undefined) clearInterval(this.#keepWarm);
    const runners = [...this.#idle.values()].flat();
    this.#idle.clear();
    this.#lent.clear();
    for (const runner of runners) runner.kill();
    await Promise.all([...runners, ...this.#retiring].map((runner) => runner.ended));
  }

  /** Kills `runner`; `dispose` waits until it is reaped and its directory and cgroup are removed. */
  #retire(runner: RunnerProcess): void {
    runner.kill();
    this.#retiring.add(runner);
    void runner.ended.then(() => this.#retiring.delete(runner));
  }

  // Only runners that wait in the pool: one on loan belongs to its run, one still starting or
  // rehearsing is busy anyway.
  #nudgeIdle(): void {
    for (const list of this.#idle.values()) {
      for (const runner of list) if (runner.isReady && !runner.dead) runner.keepWarm();
    }
  }

  #sweep(): void {
    const now = performance.now();
    for (const list of this.#idle.values()) {
      for (const runner of [...list]) {
        if (runner.isReady && now - runner.idleSince > this.#settings.idleTimeoutMs) {
          list.splice(list.indexOf(runner), 1);
          this.#retire(runner);
        }
      }
    }
  }
}
