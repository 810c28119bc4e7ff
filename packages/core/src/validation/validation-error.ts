import type { RunError, ValidationRule } from '../run-error.js';

/** What a validator says about a program: it may run, or the error the run ends with. */
export type CodeValidationResult = { readonly type: 'ok' } | { readonly type: 'error'; readonly error: RunError };

const labels: Record<ValidationRule, string> = {
  'forbidden-import': 'Forbidden import',
  'forbidden-name': 'Forbidden name',
  'forbidden-attribute': 'Forbidden attribute',
  'dynamic-attribute': 'Forbidden dynamic attribute access',
  'global-write': 'Forbidden global write',
  'forbidden-statement': 'Forbidden statement',
};

/**
 * The `VALIDATION_ERROR` of one violation, e.g. "Forbidden name: __import__ at line 3". The Python
 * runner builds the same message in Python; keep the two in step.
 */
export function validationError(rule: ValidationRule, name: string, line: number): RunError {
  return {
    code: 'VALIDATION_ERROR',
    name: 'ValidationError',
    message: `${labels[rule]}: ${name} at line ${line}. The code was checked before it ran and did not start; rewrite it without ${name}.`,
    line,
    validation: { rule, name },
  };
}
