import { afterEach, describe, expect, test, vi } from 'vitest';
import { isSmallChunk, limitSmallChunks } from './chunk-rate-limit.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('isSmallChunk', () => {
  test('whole lines of 16 bytes or more, and large pieces, are not small; bytes, empty lines and short fragments are', () => {
    expect(isSmallChunk(bytes('{"t":"call","id":1,"name":"ping"}\n'))).toBe(false);
    expect(isSmallChunk(new Uint8Array(512))).toBe(false);
    expect(isSmallChunk(bytes('a'))).toBe(true);
    expect(isSmallChunk(bytes('\n'))).toBe(true);
    expect(isSmallChunk(bytes('{"t":"idle"}\n'))).toBe(true);
    expect(isSmallChunk(bytes('{"t":"call","id":1,"name":"ping","input":"'))).toBe(true);
  });
});

describe('limitSmallChunks', () => {
  test('release() resumes a paused stream at once and ends the limit', () => {
    vi.useFakeTimers({ now: 0 });
    const handle = { reading: true, readStop: vi.fn(() => 0), readStart: vi.fn(() => 0) };
    const stream = { pause: vi.fn(), resume: vi.fn(), _handle: handle };
    const { onChunk, release } = limitSmallChunks(stream, { maxPerWindow: 1, windowMs: 100 }, () => 0);
    onChunk(bytes('a'));
    expect(stream.pause).toHaveBeenCalledTimes(1);
    release();
    expect(stream.resume).toHaveBeenCalledTimes(1);
    expect(handle.readStart).toHaveBeenCalledTimes(1);
    for (let index = 0; index < 10; index++) onChunk(bytes('a'));
    vi.advanceTimersByTime(1_000);
    expect(stream.pause).toHaveBeenCalledTimes(1);
    expect(stream.resume).toHaveBeenCalledTimes(1);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  test('pauses a stream for the rest of its window once it delivered the small chunks a window allows, then resumes it', () => {
    vi.useFakeTimers({ now: 0 });
    const stream = { pause: vi.fn(), resume: vi.fn() };
    let now = 0;
    const { onChunk } = limitSmallChunks(stream, { maxPerWindow: 3, windowMs: 100 }, () => now);
    onChunk(bytes('a'));
    onChunk(bytes('{"t":"call","id":1,"name":"ping"}\n')); // Not small: not counted.
    onChunk(bytes('b'));
    expect(stream.pause).not.toHaveBeenCalled();
    now = 40;
    onChunk(bytes('c'));
    expect(stream.pause).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(59);
    expect(stream.resume).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(stream.resume).toHaveBeenCalledTimes(1);
  });

  test('counts per window: small chunks spread over windows never pause the stream', () => {
    const stream = { pause: vi.fn(), resume: vi.fn() };
    let now = 0;
    const { onChunk } = limitSmallChunks(stream, { maxPerWindow: 3, windowMs: 100 }, () => now);
    for (let index = 0; index < 30; index++) {
      now = index * 60;
      onChunk(bytes('x'));
    }
    expect(stream.pause).not.toHaveBeenCalled();
  });

  test('stops the reads of a stream with a reading handle, and starts them again when the window ends', () => {
    vi.useFakeTimers({ now: 0 });
    const handle = { reading: true, readStop: vi.fn(() => 0), readStart: vi.fn(() => 0) };
    const stream = { pause: vi.fn(), resume: vi.fn(), _handle: handle };
    const { onChunk } = limitSmallChunks(stream, { maxPerWindow: 1, windowMs: 100 }, () => 0);
    onChunk(bytes('a'));
    expect(handle.readStop).toHaveBeenCalledTimes(1);
    expect(handle.reading).toBe(false);
    vi.advanceTimersByTime(100);
    // Not left to resume(): a stream that asked for data before it was paused does not ask again.
    expect(stream.resume).toHaveBeenCalledTimes(1);
    expect(handle.readStart).toHaveBeenCalledTimes(1);
    expect(handle.reading).toBe(true);
  });
});
