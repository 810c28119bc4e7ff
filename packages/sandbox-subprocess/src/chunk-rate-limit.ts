import type { Readable } from 'node:stream';

/** Settings of `limitSmallChunks`. */
export interface SmallChunkLimit {
  /** Small chunks a stream may deliver per window before it is paused for the rest of the window. */
  readonly maxPerWindow: number;
  /** Length of a window, in milliseconds. */
  readonly windowMs: number;
}

/**
 * Each chunk a pipe delivers costs the host's thread a few microseconds whatever its size, so a
 * runner that writes a byte at a time (or empty lines) makes the host spend about as much CPU
 * reading as it spends writing. An honest runner writes whole lines, each in one write, and the
 * kernel hands them over whole (or in pieces of the pipe's capacity): its chunks are lines of at
 * least 16 bytes, or large. Any other chunk counts as small; once a stream has delivered
 * `maxPerWindow` of them in one window, it is paused until the window ends, which bounds what such
 * a writer costs the host (the writer blocks on the full pipe meanwhile).
 *
 * Returns the function to call with every chunk the stream delivers, and `release`, which ends the
 * limit for good (the writer is gone: what it wrote must be read at once).
 */
export function limitSmallChunks(stream: Pick<Readable, 'pause' | 'resume'>, limit: SmallChunkLimit, now: () => number = () => performance.now()): { readonly onChunk: (chunk: Uint8Array) => void; readonly release: () => void } {
  let windowStart = now();
  let small = 0;
  let paused = false;
  let released = false;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const resume = (): void => {
    clearTimeout(timer);
    timer = undefined;
    if (!paused) return;
    paused = false;
    windowStart = now();
    small = 0;
    stream.resume();
    if (stopped) startReading(stream);
    stopped = false;
  };
  const onChunk = (chunk: Uint8Array): void => {
    if (released || !isSmallChunk(chunk) || paused) return;
    const time = now();
    if (time - windowStart >= limit.windowMs) {
      windowStart = time;
      small = 0;
    }
    if (++small < limit.maxPerWindow) return;
    paused = true;
    stream.pause();
    stopped = stopReading(stream);
    timer = setTimeout(resume, Math.max(1, limit.windowMs - (time - windowStart)));
  };
  return {
    onChunk,
    release: () => {
      released = true;
      resume();
    },
  };
}

interface StreamHandle {
  reading?: boolean;
  readStop?: () => number;
  readStart?: () => number;
}

const handleOf = (stream: object): StreamHandle | undefined => {
  const handle = (stream as { _handle?: StreamHandle | null })._handle;
  return handle === null || typeof handle !== 'object' ? undefined : handle;
};

/**
 * A paused stream keeps reading into its buffer up to its high-water mark (64 KiB, so 65,536 more
 * reads of a byte each): stop the pipe's own reads too, as `net.Socket` does for itself when it
 * reads into a fixed buffer. Returns whether it stopped them. Anything without such a handle is
 * only paused.
 */
function stopReading(stream: object): boolean {
  const handle = handleOf(stream);
  if (handle === undefined || typeof handle.readStop !== 'function' || typeof handle.readStart !== 'function' || handle.reading !== true) return false;
  handle.reading = false;
  handle.readStop();
  return true;
}

/**
 * Starts the pipe's reads again, as `net.Socket` does (`tryReadStart`). `resume()` alone does not
 * always: a stream that had asked for data before it was paused does not ask again, and its
 * handle would stay stopped for good.
 */
function startReading(stream: object): void {
  const handle = handleOf(stream);
  if (handle === undefined || handle.reading !== false || typeof handle.readStart !== 'function') return;
  handle.reading = true;
  handle.readStart();
}

/** A chunk shorter than 16 bytes, or shorter than 512 bytes and not ending a line. */
export function isSmallChunk(chunk: Uint8Array): boolean {
  const length = chunk.length;
  return length < 16 || (length < 512 && chunk[length - 1] !== 0x0a);
}

/**
 * The limit on the runner's protocol stream and stderr: 200 small chunks per 100 ms, about 2,000
 * per second (no honest runner comes near it). A flooding guest's streams then cost the host about
 * 5-7 % of one core (10 s runs of a security review's guests: 0.53-0.73 s of host CPU; 2.7-3.4 s at
 * 2,000 per 100 ms, 10 s without a limit).
 */
export const runnerSmallChunkLimit: SmallChunkLimit = Object.freeze({ maxPerWindow: 200, windowMs: 100 });
