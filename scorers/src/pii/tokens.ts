export interface Token {
  start: number;
  end: number;
  text: string;
  lower: string;
}

// Per-code-unit letter class, filled lazily: 0 unknown, 1 letter or mark, 2 other.
const letterClass = new Uint8Array(65536);
const LETTER = /[\p{L}\p{M}]/u;

export function isLetterUnit(code: number): boolean {
  if (code < 128) return (code >= 97 && code <= 122) || (code >= 65 && code <= 90);
  let k = letterClass[code];
  if (k === 0) {
    // Surrogate halves are treated as letters so astral scripts stay inside one token.
    k = (code >= 0xd800 && code <= 0xdfff) || LETTER.test(String.fromCharCode(code)) ? 1 : 2;
    letterClass[code] = k;
  }
  return k === 1;
}

/** ' ’ - */
export function isJoinerUnit(code: number): boolean {
  return code === 39 || code === 0x2019 || code === 45;
}

/**
 * Words: letters with inner apostrophes or hyphens ("O'Neil", "Jean-Luc", "Dvořáčková").
 * A hand-written scanner, because a Unicode-property regex costs several times more per text.
 */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (!isLetterUnit(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    i++;
    for (;;) {
      while (i < n && isLetterUnit(text.charCodeAt(i))) i++;
      if (i + 1 < n && isJoinerUnit(text.charCodeAt(i)) && isLetterUnit(text.charCodeAt(i + 1))) i += 2;
      else break;
    }
    const word = text.slice(start, i);
    out.push({ start, end: i, text: word, lower: word.toLowerCase() });
  }
  return out;
}

export function isCapitalised(word: string): boolean {
  const code = word.charCodeAt(0);
  if (code < 128) return code >= 65 && code <= 90;
  const c = word[0] as string;
  return c !== c.toLowerCase();
}

export function isAllCaps(word: string): boolean {
  return word.length > 1 && word === word.toUpperCase() && word !== word.toLowerCase();
}
