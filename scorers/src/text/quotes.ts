/**
 * Quoted spans of a text ("…", “…”, „…“, «…», '…', ```…```), to tell an
 * instruction or slur someone is asking about from one aimed at the model or a person.
 */

import { codeUnitReader } from './code-units.ts';

export interface Span {
  start: number;
  end: number;
}

const PAIRS: Record<string, string> = {
  '"': '"',
  '“': '”',
  '„': '“',
  '«': '»',
  '»': '«',
  '‘': '’',
  "'": "'",
  '`': '`',
};
const MAX_QUOTE = 4000;

const WORD_CHAR = /[\p{L}\p{N}]/u;

function isWordChar(c: string | undefined): boolean {
  if (c === undefined) return false;
  const code = c.charCodeAt(0);
  if (code < 128) return (code >= 48 && code <= 57) || ((code | 32) >= 97 && (code | 32) <= 122);
  return WORD_CHAR.test(c);
}

const readUnits = codeUnitReader();

function scanQuotes(text: string): Span[] {
  const spans: Span[] = [];
  const len = text.length;
  const units = readUnits(text);
  // Each fence's first closer at or after `from`, at `at` (-1: none). It is the first for any
  // later opener that searches from no further on, so a text of openers without closers
  // ("“““…", " 'a 'a …") is read once per fence, not once per opener: 100 KB took 30 s.
  const found = new Map<string, { from: number; at: number }>();
  const closer = (fence: string, from: number): number => {
    const known = found.get(fence);
    if (known !== undefined && known.from <= from && (known.at === -1 || from <= known.at)) return known.at;
    let j = text.indexOf(fence, from);
    while (j !== -1 && (fence === "'" || fence === '’') && isWordChar(text[j + 1]))
      j = text.indexOf(fence, j + 1);
    found.set(fence, { from, at: j });
    return j;
  };
  let i = 0;
  while (i < len) {
    const code = units[i] as number;
    // Most characters open nothing; only look the pair up for the few that may.
    if (
      !(
        code === 34 ||
        code === 39 ||
        code === 96 ||
        code === 0xab ||
        code === 0xbb ||
        (code >= 0x2018 && code <= 0x201e)
      )
    ) {
      i++;
      continue;
    }
    const open = text[i] as string;
    const close = PAIRS[open];
    // A single quote opens only at a word start, so apostrophes ("don't") are not quotes.
    if (close === undefined || ((open === "'" || open === '‘') && isWordChar(text[i - 1]))) {
      i++;
      continue;
    }
    const fence = open === '`' && text.startsWith('```', i) ? '```' : close;
    const j = closer(fence, i + fence.length);
    if (j === -1 || j - i > MAX_QUOTE) {
      i++;
      continue;
    }
    spans.push({ start: i, end: j + fence.length });
    i = j + fence.length;
  }
  return spans;
}

let lastText: string | undefined;
let lastSpans: readonly Span[] = [];

/** Quoted spans of `text`; the scorers ask in turn for the same text, so the last answer is kept. */
export function quotedSpans(text: string): readonly Span[] {
  if (text !== lastText) {
    lastSpans = scanQuotes(text);
    lastText = text;
  }
  return lastSpans;
}

export function insideAny(spans: readonly Span[], start: number, end: number): boolean {
  for (const s of spans) if (start >= s.start && end <= s.end) return true;
  return false;
}

/** The text with each quoted span replaced by a placeholder word, keeping what surrounds it. */
export function withoutQuotes(text: string, spans: readonly Span[]): string {
  let out = '';
  let pos = 0;
  for (const s of spans) {
    out += `${text.slice(pos, s.start)} "quote" `;
    pos = s.end;
  }
  return out + text.slice(pos);
}
