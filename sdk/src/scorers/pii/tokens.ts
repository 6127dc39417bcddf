export interface Token {
  start: number;
  end: number;
  text: string;
  lower: string;
}

// Letters with inner apostrophes or hyphens ("O'Neil", "Jean-Luc", "Dvořáčková").
const WORD = /[\p{L}\p{M}]+(?:['’-][\p{L}\p{M}]+)*/gu;

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  for (const m of text.matchAll(WORD)) {
    const t = m[0];
    out.push({ start: m.index, end: m.index + t.length, text: t, lower: t.toLowerCase() });
  }
  return out;
}

export function isCapitalised(word: string): boolean {
  const c = word[0] ?? '';
  return c !== c.toLowerCase();
}

export function isAllCaps(word: string): boolean {
  return word.length > 1 && word === word.toUpperCase() && word !== word.toLowerCase();
}
