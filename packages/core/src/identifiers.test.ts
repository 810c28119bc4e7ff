import { describe, expect, it } from 'vitest';
import { assignIdentifiers, isSafeIdentifier } from './identifiers.js';

describe('assignIdentifiers', () => {
  it('keeps safe identifiers and maps the rest deterministically', () => {
    const names = ['get_expenses', 'github.list-issues', 'requests.get', 'print', 'class', '3d.render', '__proto__'];
    const mapped = assignIdentifiers(names);
    expect(Object.fromEntries(mapped)).toEqual({
      get_expenses: 'get_expenses',
      'github.list-issues': 'github_list_issues',
      'requests.get': 'requests_get',
      print: 'print_',
      class: 'class_',
      '3d.render': '_3d_render',
      ['__proto__']: 't__proto__',
    });
    expect(assignIdentifiers(names)).toEqual(mapped);
  });

  it('never lets two tools share an identifier, and lets real identifiers keep theirs', () => {
    const names = ['a.b', 'a-b', 'a_b', 'a_b_2', 'a b'];
    const mapped = assignIdentifiers(names);
    // `a_b` and `a_b_2` are already identifiers: they keep them even though they come later.
    expect(mapped.get('a_b')).toBe('a_b');
    expect(mapped.get('a_b_2')).toBe('a_b_2');
    expect(new Set(mapped.values()).size).toBe(names.length);
    expect(mapped.get('a.b')).toBe('a_b_3');
    for (const identifier of mapped.values()) expect(isSafeIdentifier(identifier)).toBe(true);
  });

  it('maps every name of the BFCL-style corpus shape to a safe identifier', () => {
    const names = ['math.factorial', 'uber.eat.order', 'get_current_weather', 'json', 'sum', 'ünïcode', ''];
    const mapped = assignIdentifiers(names.filter(Boolean));
    for (const identifier of mapped.values()) expect(isSafeIdentifier(identifier)).toBe(true);
    expect(mapped.get('json')).toBe('json_');
    expect(mapped.get('ünïcode')).toBe('ünïcode');
  });

  it('keeps letters of every script, normalized as Python reads them', () => {
    const mapped = assignIdentifiers(['météo.prévision', '天气查询', '\ufb01le_read', 'cafe\u0301', 'x$y', 'Ω.π', 'zero\u200dwidth\u3164']);
    expect(Object.fromEntries(mapped)).toEqual({
      'météo.prévision': 'météo_prévision',
      天气查询: '天气查询',
      '\ufb01le_read': 'file_read',
      'cafe\u0301': 'caf\u00e9',
      x$y: 'x_y',
      'Ω.π': 'Ω_π',
      // Valid in both languages, but invisible: replaced.
      'zero\u200dwidth\u3164': 'zero_width_',
    });
    for (const identifier of mapped.values()) {
      expect(isSafeIdentifier(identifier)).toBe(true);
      expect(identifier.normalize('NFKC')).toBe(identifier);
    }
    // An identifier Python would read differently is not kept as it is.
    expect(isSafeIdentifier('\ufb01le_read')).toBe(false);
  });
});
