import type { ConformanceCase } from './conformance-case.js';
import { errorCases } from './cases/errors.js';
import { eventCases } from './cases/events.js';
import { isolationCases } from './cases/isolation.js';
import { lifecycleCases } from './cases/lifecycle.js';
import { limitCases } from './cases/limits.js';
import { outputCases } from './cases/output.js';
import { pythonStyleCases } from './cases/python-style.js';
import { toolCases } from './cases/tools.js';
import { typescriptCases } from './cases/typescript.js';
import { valueCases } from './cases/values.js';

/** Every case of the conformance suite, in the order they run. Ids are stable. */
export const conformanceCases: readonly ConformanceCase[] = Object.freeze([
  ...lifecycleCases,
  ...valueCases,
  ...outputCases,
  ...eventCases,
  ...toolCases,
  ...errorCases,
  ...pythonStyleCases,
  ...typescriptCases,
  ...limitCases,
  ...isolationCases,
]);
