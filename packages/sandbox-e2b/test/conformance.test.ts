import { describeLocalE2BConformance } from './local-conformance.js';

describeLocalE2BConformance('e2b (local stand-in)');
