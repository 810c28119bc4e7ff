import { describe, expect, it } from 'vitest';
import { jsonSchemaTool } from '../tool.js';
import { backtrackingPatternMaxInputLength, guardedRegExp, nestsQuantifiers, PatternInputTooLongError } from './pattern-guard.js';

describe('nestsQuantifiers', () => {
  it('flags repeated groups that contain a quantifier or an alternation', () => {
    for (const pattern of [
      '^(a+)+$', '(\\w+\\s?)*', '^(a|a)*$', '(.*a){12}', '((ab)*c)+', '(?:x+y?)+', '(?<word>\\d+)*', '([a-z]+,?){2,}', '(a*)*?',
      // A punctuation character at an end does not help when something else in the group matches it too.
      '(,.+)*', '(,[^x]+)*', '(,[,a]+)*', '(,[!-/]+)*', '(-\\W+)*', '(,\\p{P}+)*', '(,a+\\1)*', '(,(?=a)a+)*', '(,a+,)*', '(,a+|b)*',
      // A delimiter in the middle does not fix where repetitions split (`^(a*;a*)*$` is exponential).
      '^(a*;a*)*$', '^(\\s*;\\s*\\w+=\\w+)*$',
    ]) {
      expect(nestsQuantifiers(pattern), pattern).toBe(true);
    }
  });

  it('passes patterns without nested repetition', () => {
    for (const pattern of [
      '^[a-z0-9_-]{3,16}$', '^\\d{4}-\\d{2}-\\d{2}$', '^(https?|ftp)://[^ ]+$', '(ab)+', '(a+)?', '(a+){1}', '[(a+)+]', '\\(a+\\)+', '^\\p{L}+$', '(a{2})+',
      // Repetitions delimited by a punctuation character nothing else in the group matches.
      '^[a-z]+(,[a-z]+)*$', '^([a-z0-9]+(-[a-z0-9]+)*\\.)+[a-z]{2,}$', '^(\\d{1,3}\\.){3}\\d{1,3}$', '^(?:/[\\w-]+)+/?$', '(\\.,a+,)*',
    ]) {
      expect(nestsQuantifiers(pattern), pattern).toBe(false);
    }
  });
});

describe('patterns passed as delimited', () => {
  it('match or fail quickly on long hostile strings', () => {
    // Each would take V8 seconds or more if it could backtrack exponentially; a thousand characters
    // rules that out whatever the machine's load (no time is measured).
    const cases: [string, string][] = [
      ['^[a-z]+(,[a-z]+)*$', `${'a,'.repeat(500)}!`],
      ['^([a-z0-9]+(-[a-z0-9]+)*\\.)+[a-z]{2,}$', `${'a-a.'.repeat(250)}1`],
      ['^(?:/[\\w-]+)+/?$', `${'/a-'.repeat(300)} `],
    ];
    for (const [pattern, input] of cases) {
      expect(nestsQuantifiers(pattern), pattern).toBe(false);
      expect(new RegExp(pattern, 'u').test(input), pattern).toBe(false);
    }
  });
});

describe('guardedRegExp', () => {
  it('is the plain RegExp for a safe pattern and throws for an invalid one', () => {
    expect(guardedRegExp('^a+$', 'u')).toBeInstanceOf(RegExp);
    expect(() => guardedRegExp('(', 'u')).toThrow(SyntaxError);
    expect(() => guardedRegExp('[', 'u')).toThrow(/\/\[\/u: Unterminated character class/);
  });

  it('takes identity escapes that only the u flag refuses, as schemas for other engines write them', () => {
    const lenient = guardedRegExp('^[a-z\\_]+\\@x$', 'u');
    expect(lenient.test('a_b@x')).toBe(true);
    expect(lenient.test('a-b@x')).toBe(false);
    // With u where it compiles: \p{L} is a Unicode property, not the letter p.
    expect(guardedRegExp('^\\p{L}+$', 'u').test('été')).toBe(true);
  });

  it('matches short strings against a nested-quantifier pattern and refuses long ones instead of backtracking', () => {
    const guarded = guardedRegExp('^(a+)+$', 'u');
    expect(guarded.test('aaaa')).toBe(true);
    expect(guarded.test('aaa!')).toBe(false);
    // 40 characters would take V8 minutes to reject; the guard refuses without trying.
    expect(() => guarded.test(`${'a'.repeat(40)}!`)).toThrow(PatternInputTooLongError);
  });

  it('makes a tool refuse such a string as invalid input with a message the model can act on', () => {
    const tool = jsonSchemaTool({
      name: 'tagger',
      inputSchema: { type: 'object', properties: { words: { type: 'string', pattern: '^(\\w+\\s?)*$' } }, patternProperties: { '^(x+)+$': { type: 'number' } } },
      execute: () => null,
    });
    expect(tool.parseInput({ words: 'two words' }).success).toBe(true);
    const long = tool.parseInput({ words: `${'word '.repeat(20)}!` });
    expect(long.success).toBe(false);
    expect(!long.success && long.message).toMatch(new RegExp(`too long to check against the pattern .*at most ${backtrackingPatternMaxInputLength} characters`));
    // Property names checked by patternProperties are guarded too: refused, not skipped.
    expect(tool.parseInput({ [`${'x'.repeat(50)}!`]: 'not checked?' }).success).toBe(false);
  });
});
