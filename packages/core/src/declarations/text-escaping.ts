// Escaping of schema text (descriptions, names, enum values) into the places it is printed.

/** Splits at every line-break convention: CRLF, CR, LF, NEL, U+2028, U+2029. */
export function splitLines(text: string): string[] {
  return text.split(/\r\n|[\n\r\u0085\u2028\u2029]/);
}

/**
 * Description text as lines without leading and trailing blank space. Only spaces, tabs and line
 * breaks are trimmed: `String.prototype.trim` would also drop a vertical tab, form feed, BOM or
 * no-break space at either end, characters that then never reach the (escaped) text.
 */
export function descriptionLines(text: string): string[] {
  const trimmed = text.replace(/^[ \t\r\n\u0085\u2028\u2029]+|[ \t\r\n\u0085\u2028\u2029]+$/g, '');
  return trimmed === '' ? [] : splitLines(trimmed).map((line) => line.replace(/[ \t]+$/, ''));
}

/** Doc lines with any line break left inside a line (a hint value, say) split out. */
function flatLines(lines: readonly string[]): string[] {
  return lines.flatMap(splitLines);
}

function hex(code: number, width: number): string {
  return code.toString(16).padStart(width, '0');
}

// Characters that are escaped wherever schema text is printed: control characters (C0 but line
// feed and tab, DEL, C1), format characters (bidi embeddings, overrides and isolates, LRM/RLM/ALM,
// zero-width characters, BOM, soft hyphen, tag characters: they reorder or hide what a reader
// sees, "Trojan Source"), the line and paragraph separators, and lone surrogates.
// eslint-disable-next-line no-control-regex -- matching control characters is the point: they are escaped.
const unsafeCharacter = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]|\p{Cs}/gu;

/** `\uXXXX` for a BMP code point, `\u{XXXXX}` (JavaScript) or `\UXXXXXXXX` (Python) above it. */
function codePointEscape(character: string, astral: 'javascript' | 'python'): string {
  const code = character.codePointAt(0) ?? 0;
  if (code <= 0xffff) return `\\u${hex(code, 4)}`;
  return astral === 'python' ? `\\U${hex(code, 8)}` : `\\u{${code.toString(16)}}`;
}

/** Control, format and separator characters and lone surrogates as visible `\uXXXX` text, for comments (which have no escapes). */
export function visibleText(line: string): string {
  return line.replace(unsafeCharacter, (character) => codePointEscape(character, 'javascript'));
}

function jsdocLine(line: string): string {
  // TypeScript starts a tag at an `@` after any whitespace (Unicode spaces, ZWSP and BOM included),
  // not only at the start of a line; only an `@` right after a letter or digit is safe as it is.
  return visibleText(line).replaceAll('*/', '*\\/').replace(/(?<![A-Za-z0-9])@/g, '\\@');
}

/**
 * A JSDoc block. `*\/` cannot end it (written `*\\/`), and a line of schema text cannot start a tag
 * (an `@` not preceded by a letter or digit is written `\@`), so the only tags are the ones the generator
 * writes (`tagged`: a tag name and the lines of text that follow it).
 */
export function jsdoc(lines: readonly string[], indent: string, tagged: readonly (readonly [string, readonly string[]])[] = []): string {
  const body = flatLines(lines).map(jsdocLine);
  for (const [tag, tagLines] of tagged) {
    const [first = '', ...rest] = flatLines(tagLines);
    body.push(`@${tag} ${jsdocLine(first)}`.trimEnd(), ...rest.map(jsdocLine));
  }
  if (body.length === 0) return '';
  if (body.length === 1) return `${indent}/** ${body[0] ?? ''} */\n`;
  return `${indent}/**\n${body.map((line) => (line === '' ? `${indent} *\n` : `${indent} * ${line}\n`)).join('')}${indent} */\n`;
}

/**
 * `#` comment lines. Besides control characters, `coding:`/`coding=` is broken up: on the first
 * two lines of a file it would be read as an encoding declaration (PEP 263).
 */
export function pythonComment(lines: readonly string[], indent: string): string {
  return flatLines(lines)
    .map((line) => {
      const text = visibleText(line).replace(/coding([:=])/g, 'coding $1');
      return text === '' ? `${indent}#\n` : `${indent}# ${text}\n`;
    })
    .join('');
}

/**
 * A line of code with its documentation: a one-line doc as a trailing `  # comment` (fewer
 * tokens), a longer one as comment lines above it.
 */
export function pythonDocumented(lines: readonly string[], indent: string, code: string): string {
  const flat = flatLines(lines);
  if (flat.length === 1) return `${indent}${code}  ${pythonComment(flat, '')}`;
  return `${pythonComment(flat, indent)}${indent}${code}\n`;
}

/**
 * A docstring (a normal, not raw, string in triple double quotes): backslashes are doubled,
 * control, format and separator characters become escapes, lone surrogates visible `\\uXXXX` text, and a `"` is escaped when another `"`
 * follows it or it is last, so that three quotes never meet. Decoded, it is exactly the text.
 */
export function pythonDocstring(lines: readonly string[], indent: string): string {
  const text = flatLines(lines).join('\n');
  let body = '';
  for (let index = 0; index < text.length; index++) {
    const character = text.charAt(index);
    const code = text.charCodeAt(index);
    if (character === '\\') body += '\\\\';
    else if (character === '"') body += index === text.length - 1 || text.charAt(index + 1) === '"' ? '\\"' : '"';
    else if (character === '\n') body += `\n${indent}`;
    else if (character === '\t') body += character;
    else if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) body += `\\x${hex(code, 2)}`;
    else {
      // A whole code point (a surrogate pair stays together; a lone surrogate is one unit).
      const point = String.fromCodePoint(text.codePointAt(index) ?? code);
      if (point.length === 2) index++;
      unsafeCharacter.lastIndex = 0;
      // A lone surrogate stays visible text (`\\ud800` decodes to a backslash and `ud800`): a class
      // docstring must encode as UTF-8 when Python creates the class, and a lone surrogate cannot.
      if (code >= 0xd800 && code <= 0xdfff && point.length === 1) body += `\\\\u${hex(code, 4)}`;
      else body += unsafeCharacter.test(point) ? codePointEscape(point, 'python') : point;
    }
  }
  return `${indent}"""${body}"""\n`;
}

/** A double-quoted TypeScript string literal: JSON's escapes, plus every unsafe character (see above) as an escape. */
export function typescriptString(text: string): string {
  return JSON.stringify(text).replace(unsafeCharacter, (character) => codePointEscape(character, 'javascript'));
}

/** A double-quoted Python string literal: every JSON escape is also a Python escape; unsafe characters are escaped too. */
export function pythonString(text: string): string {
  return JSON.stringify(text).replace(unsafeCharacter, (character) => codePointEscape(character, 'python'));
}
