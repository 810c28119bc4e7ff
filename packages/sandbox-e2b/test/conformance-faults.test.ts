import { describeLocalE2BConformance } from './local-conformance.js';

describeLocalE2BConformance('e2b (local stand-in, split stdout chunks and delayed stdin)', {
  faults: { splitOutput: { seed: 7, maxPieceBytes: 48 }, stdinDelay: { seed: 11, minMs: 0, maxMs: 15 } },
});
