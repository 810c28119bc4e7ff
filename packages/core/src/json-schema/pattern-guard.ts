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
  /** Index of the group's first character after `(`. */
  start: number;
  /** Index of the group's `)`, once closed. */
  end: number;
}

const wordOrSpace = /[\w\s]/;
const metaCharacters = new Set([...'\\^$.|?*+()[]{}']);
const quantifierStart = new Set(['*', '+', '?', '{']);

/** The escapes that never match punctuation (a non-word, non-space character). */
function escapeMatches(letter: string, separator: string): boolean | undefined {
  if (!/[A-Za-z0-9]/.test(letter)) return letter === separator;
  if (letter === 'd' || letter === 'w' || letter === 's' || letter === 'b' || letter === 'B') return false;
  return undefined;
}

/**
 * Whether `text` (part of a group's body) can never match `separator`, judged conservatively:
 * `undefined`-like doubts (`.`, negated or unclear classes, `\W`, `\p{…}`, lookarounds) count as "can".
 */
function cannotMatch(text: string, separator: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const character = text[index] as string;
    if (character === '\\') {
      if (escapeMatches(text[index + 1] ?? '', separator) !== false) return false;
      index++;
    } else if (character === '.') {
      return false;
    } else if (character === '(') {
      if (text[index + 1] === '?' && text[index + 2] !== ':') return false;
    } else if (character === '[') {
      if (text[index + 1] === '^') return false;
      const members: (string | undefined)[] = [];
      for (index++; index < text.length && text[index] !== ']'; index++) {
        if (text[index] === '\\') {
          const letter = text[index + 1] ?? '';
          if (escapeMatches(letter, separator) !== false) return false;
          members.push(/[A-Za-z0-9]/.test(letter) ? undefined : letter);
          index++;
        } else {
          members.push(text[index]);
        }
      }
      for (let member = 0; member < members.length; member++) {
        const low = members[member];
        if (low === separator) return false;
        if (members[member + 1] === '-' && member + 2 < members.length) {
          const high = members[member + 2];
          if (low === undefined || high === undefined) return false;
          const code = separator.codePointAt(0) as number;
          if ((low.codePointAt(0) as number) <= code && code <= (high.codePointAt(0) as number)) return false;
          member += 2;
        }
      }
    } else if (character === separator) {
      return false;
    }
  }
  return true;
}

/**
 * Whether a repeated group's body starts or ends with a literal punctuation character that nothing
 * else in the body can match, as in `(,[a-z]+)*` or `([a-z0-9]+\.)+`: each repetition then ends
 * where that character stands, so the text splits into repetitions one way only.
 */
function delimited(body: string): boolean {
  let rest = body;
  if (rest.startsWith('?:')) rest = rest.slice(2);
  else if (rest.startsWith('?')) return false;
  const literal = (text: string, at: number): { separator: string; length: number } | undefined => {
    if (text[at] === '\\') {
      const letter = text[at + 1] ?? '';
      return letter !== '' && !/[A-Za-z0-9]/.test(letter) && !wordOrSpace.test(letter) ? { separator: letter, length: 2 } : undefined;
    }
    const character = text[at] ?? '';
    return character !== '' && !metaCharacters.has(character) && !wordOrSpace.test(character) ? { separator: character, length: 1 } : undefined;
  };
  const first = literal(rest, 0);
  if (first !== undefined && !quantifierStart.has(rest[first.length] ?? '') && cannotMatch(rest.slice(first.length), first.separator)) return true;
  // The last atom: an escaped punctuation character (an odd run of backslashes before it), or a plain one.
  let backslashes = 0;
  for (let index = rest.length - 2; index >= 0 && rest[index] === '\\'; index--) backslashes++;
  const lastAt = backslashes % 2 === 1 ? rest.length - 2 : rest.length - 1;
  if (backslashes % 2 === 0 && rest.length >= 2 && rest[rest.length - 2] === '\\') return false;
  const last = lastAt >= 0 ? literal(rest, lastAt) : undefined;
  return last !== undefined && lastAt + last.length === rest.length && cannotMatch(rest.slice(0, lastAt), last.separator);
}

/**
 * Whether a regular expression can backtrack catastrophically, by a conservative syntactic test:
 * a group that repeats (`*`, `+`, `{n,}`, `{n,m}` with m > 1) and itself contains a variable
 * quantifier (not a fixed `{n}`) or an alternation, as in `(a+)+`, `(\w+\s?)*`, `(a|a)*`, `(.*a){12}`,
 * unless the group starts or ends with a punctuation character nothing else in it can match
 * (`(,[a-z]+)*`, `([a-z0-9]+\.)+`). It still flags some safe patterns (`(a+b)*`); it does not find
 * polynomial backtracking of adjacent quantifiers (`\d+\d+$`).
 */
export function nestsQuantifiers(pattern: string): boolean {
  const stack: GroupState[] = [{ quantified: false, alternation: false, start: 0, end: 0 }];
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
      stack.push({ quantified: false, alternation: false, start: index + 1, end: 0 });
      lastGroup = undefined;
      continue;
    }
    if (character === ')') {
      if (stack.length > 1) {
        const group = stack.pop() as GroupState;
        group.end = index;
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
      if (repeats && lastGroup !== undefined && (lastGroup.alternation || (lastGroup.quantified && !delimited(pattern.slice(lastGroup.start, lastGroup.end))))) return true;
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
/**
 * Compiles a pattern as JSON Schema asks (ECMA-262 with `u`), falling back to the lenient syntax
 * without `u` that schemas written for other engines often rely on (`[\\w\\_]`, `\\@`): such an
 * identity escape is an error with `u` and means the character itself without it.
 */
function compilePattern(pattern: string, flags: string): RegExp {
  try {
    return new RegExp(pattern, flags);
  } catch (error) {
    if (!flags.includes('u')) throw error;
    try {
      return new RegExp(pattern, flags.replace('u', ''));
    } catch {
      throw error;
    }
  }
}

function guardedPattern(pattern: string, flags: string): GuardedPattern {
  const regExp = compilePattern(pattern, flags);
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
