// What the peers suite measures of another project's sandbox: run a program that calls one async
// tool, `ping({ i })`, answered with `i`, and hand back the program's value.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** A sandbox of another project, driven through its own public API. */
export interface PeerHarness {
  /** What ran, with versions: `quickjs-emscripten 0.32.0`. */
  readonly label: string;
  /** Where the guest's code runs and where `ping` is answered, in a few words (the trade-off a reader weighs beside the figures). */
  readonly isolation: string;
  /**
   * Runs `body`, the body of an async function (it may `await` and `return`), with an async tool
   * `ping({ i })` answered with `i`. Resolves with the returned value; rejects with the guest's error.
   */
  run(body: string): Promise<unknown>;
  /** Releases what it holds (isolates, processes). */
  dispose(): Promise<void>;
}

/** A peer's module exports one of these as `createPeer`. */
export type CreatePeer = () => Promise<PeerHarness>;

/** The `version` field of an installed package's package.json, or `?`. */
export function installedVersion(specifier: string): string {
  let directory: string;
  try {
    directory = dirname(createRequire(import.meta.url).resolve(specifier));
  } catch {
    return '?';
  }
  // Up from the resolved entry to the package's own manifest (not every package exports it).
  for (let depth = 0; depth < 6; depth++, directory = dirname(directory)) {
    try {
      const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === specifier && typeof manifest.version === 'string') return manifest.version;
    } catch {
      // no manifest here: one level up
    }
  }
  return '?';
}
