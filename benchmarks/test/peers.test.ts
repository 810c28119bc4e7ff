// The peers suite's harnesses drive real installs of each peer (QuickJS in WebAssembly,
// @utcp/code-mode on isolated-vm, codemode on a workerd child process): these tests check that
// each one answers the tool, returns the program's value and reports the program's error, so that
// a figure in the suite is never the time of a broken run. No timing is asserted.
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { peerNames, runPeersBenchmarks } from '../micro/peers.ts';
import type { PeerHarness } from '../micro/peers.ts';

async function load(name: string): Promise<PeerHarness> {
  const module = (await import(`../micro/peers/${name}.ts`)) as { createPeer: () => Promise<PeerHarness> };
  return module.createPeer();
}

describe.each(peerNames)('peer %s', (name) => {
  it('answers ping, returns the value, runs Promise.all and reports a thrown error', async () => {
    const peer = await load(name);
    try {
      expect(peer.label).toMatch(/\d+\.\d+\.\d+/);
      expect(await peer.run('return 1;')).toBe(1);
      expect(await peer.run('return await ping({ i: 7 });')).toBe(7);
      expect(await peer.run('let sum = 0; for (let i = 0; i < 50; i++) sum += await ping({ i }); return sum;')).toBe(1225);
      expect(await peer.run('const all = await Promise.all([1, 2, 3].map((i) => ping({ i }))); return all;')).toEqual([1, 2, 3]);
      await expect(peer.run('throw new Error("boom from the guest");')).rejects.toThrow(/boom from the guest/);
      // A run after a failed one still works (nothing left broken by the error).
      expect(await peer.run('return await ping({ i: 2 });')).toBe(2);
    } finally {
      await peer.dispose();
    }
  });
});

describe('workerd-codemode', () => {
  it('leaves no temporary directory behind after dispose', async () => {
    const ours = (): string[] => readdirSync(tmpdir()).filter((entry) => entry.startsWith('codecall-peer-workerd-'));
    const before = new Set(ours());
    const peer = await load('workerd-codemode');
    expect(ours().filter((entry) => !before.has(entry))).toHaveLength(1);
    await peer.dispose();
    expect(ours().filter((entry) => !before.has(entry))).toEqual([]);
  });
});

describe('runPeersBenchmarks', () => {
  it('measures codecall beside the raw bridge and gives every other subject its ratio to in-process', async () => {
    const report = await runPeersBenchmarks({ timeMs: 1, peers: ['quickjs'] });
    expect(report.subjects.map((subject) => [subject.subject, subject.status])).toEqual([
      ['raw isolated-vm', 'measured'],
      ['codecall in-process', 'measured'],
      ['codecall supervised', 'measured'],
      ['quickjs', 'measured'],
    ]);
    const rows = report.results.filter((row) => row.name === 'per sequential call');
    expect(rows.map((row) => row.subject)).toEqual(['raw isolated-vm', 'codecall in-process', 'codecall supervised', 'quickjs']);
    for (const row of rows) {
      expect(row.medianMs).toBeGreaterThan(0);
      if (row.subject === 'codecall in-process') expect(row.ratio).toBeUndefined();
      else expect(row.baseline).toBe('codecall in-process/per sequential call');
    }
    // Nine timed rounds at least, whatever the time budget.
    expect(report.results.find((row) => row.subject === 'quickjs' && row.name === 'warm run (return 1)')?.samples).toBeGreaterThanOrEqual(9);
  });
});
