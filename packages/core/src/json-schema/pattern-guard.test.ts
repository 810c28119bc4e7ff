import { describe, expect, it } from 'vitest';
import { jsonSchemaTool } from '../tool.js';
import { backtrackingPatternMaxInputLength, guardedRegExp, nestsQuantifiers, PatternInputTooLongError } from './pattern-guard.js';

describe('nestsQuantifiers', () => {
  it('flags repeated groups that contain a quantifier or an alternation', () => {
    for (const pattern of ['^(a+)+$', '(\\w+\\s?)*', '^(a|a)*$', '(.*a){12}', '((ab)*c)+', '(?:x+y?)+', '(?<word>\\d+)*', '([a-z]+,?){2,}', '(a*)*?']) {
      expect(nestsQuantifiers(pattern), pattern).toBe(true);
    }
  });

  it('passes patterns without nested repetition', () => {
    for (const pattern of ['^[a-z0-9_-]{3,16}$', '^\\d{4}-\\d{2}-\\d{2}$', '^(https?|ftp)://[^ ]+$', '(ab)+', '(a+)?', '(a+){1}', '[(a+)+]', '\\(a+\\)+', '^\\p{L}+$', '(a{2})+']) {
      expect(nestsQuantifiers(pattern), pattern).toBe(false);
    }
  });
});

describe('guardedRegExp', () => {
  it('is the plain RegExp for a safe pattern and throws for an invalid one', () => {
    expect(guardedRegExp('^a+$', 'u')).toBeInstanceOf(RegExp);
    expect(() => guardedRegExp('(', 'u')).toThrow(SyntaxError);
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
