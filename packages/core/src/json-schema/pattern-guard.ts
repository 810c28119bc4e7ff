/**
 * Longest string (in UTF-16 code units) checked against a pattern that nests quantifiers. V8's
 * backtracking engine needs time exponential in the length for such patterns (`^(a+)+$` on 26
 * characters blocks for about 0.3 s), so longer strings are refused instead of matched.
 */
export const backtrackingPatternMaxInputLength = 20;

/** Thrown from a guarded pattern's `test` when a string is too long to check safely. */
export class PatternInputTooLongError extends Error {
  override readonly name = 'PatternInputTooLongError';
  /** The pattern. */
  readonly pattern: string;
  /** Length of the refused string. */
  readonly inputLength: number;

  constructor(pattern: string, inputLength: number) {
    super(
      `a string of ${inputLength} characters is too long to check against the pattern ${shorten(pattern)}: the pattern nests quantifiers, so strings ` +
        `checked against it may have at most ${backtrackingPatternMaxInputLength} characters`,
    );
    this.pattern = pattern;
    this.inputLength = inputLength;
  }
}

function shorten(pattern: string): string {
  return JSON.stringify(pattern.length > 80 ? `${pattern.slice(0, 80)}…` : pattern);
}

const repeatBraces = /^\{(\d+)(,(\d*))?\}/;

interface GroupState {
  quantified: boolean;
  alternation: boolean;
}

/**
 * Whether a regular expression can backtrack catastrophically, by a conservative syntactic test:
 * a group that repeats (`*`, `+`, `{n,}`, `{n,m}` with m > 1) and itself contains a variable
 * quantifier (not a fixed `{n}`) or an alternation, as in `(a+)+`, `(\w+\s?)*`, `(a|a)*`, `(.*a){12}`. It flags some safe patterns
 * too (`(,[a-z]+)*`); it does not find polynomial backtracking of adjacent quantifiers (`\d+\d+$`).
 */
export function nestsQuantifiers(pattern: string): boolean {
  const stack: GroupState[] = [{ quantified: false, alternation: false }];
  let lastGroup: GroupState | undefined;
  for (let index = 0; index < pattern.length; index++) {
    const character = pattern[index];
    const top = stack[stack.length - 1] as GroupState;
    if (character === '\\') {
      index++;
      lastGroup = undefined;
      continue;
    }
    if (character === '[') {
      for (index++; index < pattern.length && pattern[index] !== ']'; index++) if (pattern[index] === '\\') index++;
      lastGroup = undefined;
      continue;
    }
    if (character === '(') {
      stack.push({ quantified: false, alternation: false });
      lastGroup = undefined;
      continue;
    }
    if (character === ')') {
      if (stack.length > 1) {
        const group = stack.pop() as GroupState;
        const parent = stack[stack.length - 1] as GroupState;
        parent.quantified ||= group.quantified;
        lastGroup = group;
      }
      continue;
    }
    if (character === '|') {
      top.alternation = true;
      lastGroup = undefined;
      continue;
    }
    let repeats = false;
    let quantifier = false;
    let variable = false;
    if (character === '*' || character === '+') {
      repeats = true;
      quantifier = true;
      variable = true;
    } else if (character === '?') {
      quantifier = true;
      variable = true;
    } else if (character === '{') {
      const braces = repeatBraces.exec(pattern.slice(index, index + 24));
      if (braces !== null) {
        quantifier = true;
        const low = Number(braces[1]);
        const high = braces[2] === undefined ? low : braces[3] === '' ? Number.POSITIVE_INFINITY : Number(braces[3]);
        repeats = high > 1;
        variable = high !== low;
        index += braces[0].length - 1;
      }
    }
    if (quantifier) {
      if (repeats && lastGroup !== undefined && (lastGroup.quantified || lastGroup.alternation)) return true;
      // A fixed count (`a{2}`) matches one way only; it does not make an enclosing repetition ambiguous.
      if (variable) top.quantified = true;
      if (pattern[index + 1] === '?') index++;
    }
    lastGroup = undefined;
  }
  return false;
}

/** What Ajv calls to test a string against a pattern (its `RegExpLike`). */
export interface GuardedPattern {
  test(value: string): boolean;
  toString(): string;
}

/**
 * Ajv's `code.regExp` engine: compiles `pattern` with V8's engine (a syntax error is thrown, so a
 * schema with an invalid pattern does not compile) and, when the pattern nests quantifiers, refuses
 * strings longer than `backtrackingPatternMaxInputLength` by throwing `PatternInputTooLongError`
 * (caught by the validator and reported as invalid input), since V8 cannot bound the time of one
 * `test` call.
 */
function guardedPattern(pattern: string, flags: string): GuardedPattern {
  const regExp = new RegExp(pattern, flags);
  if (!nestsQuantifiers(pattern)) return regExp;
  return {
    test(value: string): boolean {
      if (value.length > backtrackingPatternMaxInputLength) throw new PatternInputTooLongError(pattern, value.length);
      return regExp.test(value);
    },
    toString: () => `${String(regExp)} (guarded)`,
  };
}

/**
 * The `guardedPattern` engine for Ajv's `code.regExp` option. Ajv reads `code` to name the engine
 * in standalone code; validators here are never made standalone.
 */
export const guardedRegExp: ((pattern: string, flags: string) => GuardedPattern) & { readonly code: string } = Object.assign(guardedPattern, {
  code: 'codecallGuardedRegExp',
});
