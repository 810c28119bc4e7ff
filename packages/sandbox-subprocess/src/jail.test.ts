import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { readableBy } from './jail.js';

// Whether the jail's unprivileged user can reach a path decides between the configured
// interpreter, the system's, or a clear start error.
describe.runIf(process.getuid?.() === 0)('readableBy', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'codecall-readable-'));
  chmodSync(root, 0o755);
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const nobody = { uid: 65534, gid: 65534 };

  test('every parent must be searchable and the file readable', () => {
    const open = path.join(root, 'open');
    mkdirSync(open, { mode: 0o755 });
    writeFileSync(path.join(open, 'file'), 'x', { mode: 0o644 });
    expect(readableBy(path.join(open, 'file'), nobody)).toBe(true);
    expect(readableBy(open, nobody)).toBe(true);

    const closed = path.join(root, 'closed');
    mkdirSync(closed, { mode: 0o700 });
    chmodSync(closed, 0o700);
    writeFileSync(path.join(closed, 'file'), 'x', { mode: 0o644 });
    expect(readableBy(path.join(closed, 'file'), nobody)).toBe(false);

    writeFileSync(path.join(open, 'secret'), 'x', { mode: 0o600 });
    chmodSync(path.join(open, 'secret'), 0o600);
    expect(readableBy(path.join(open, 'secret'), nobody)).toBe(false);
  });

  test('owner and group bits apply to the owner and the group', () => {
    const owned = path.join(root, 'owned');
    mkdirSync(owned, { mode: 0o700 });
    chmodSync(owned, 0o700);
    chownSync(owned, 65534, 0);
    writeFileSync(path.join(owned, 'file'), 'x');
    chmodSync(path.join(owned, 'file'), 0o640);
    chownSync(path.join(owned, 'file'), 0, 65534);
    expect(readableBy(path.join(owned, 'file'), nobody)).toBe(true);
    expect(readableBy(path.join(owned, 'file'), { uid: 4242, gid: 4242 })).toBe(false);
  });

  test('a missing path is not readable; no identity means the host user (always true)', () => {
    expect(readableBy(path.join(root, 'missing'), nobody)).toBe(false);
    expect(readableBy('/root/anything', undefined)).toBe(true);
  });
});
