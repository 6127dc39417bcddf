/**
 * Quoted spans of a text ("…", “…”, „…“, «…», '…', ```…```), to tell an
 * instruction or slur someone is asking about from one aimed at the model or a person.
 */

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

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[\p{L}\p{N}]/u.test(c);
}

export function quotedSpans(text: string): Span[] {
  const spans: Span[] = [];
  let i = 0;
  while (i < text.length) {
    const open = text[i] as string;
    const close = PAIRS[open];
    // A single quote opens only at a word start, so apostrophes ("don't") are not quotes.
    if (close === undefined || ((open === "'" || open === '‘') && isWordChar(text[i - 1]))) {
      i++;
      continue;
    }
    const fence = open === '`' && text.startsWith('```', i) ? '```' : close;
    let j = text.indexOf(fence, i + fence.length);
    while (j !== -1 && (fence === "'" || fence === '’') && isWordChar(text[j + 1]))
      j = text.indexOf(fence, j + 1);
    if (j === -1 || j - i > MAX_QUOTE) {
      i++;
      continue;
    }
    spans.push({ start: i, end: j + fence.length });
    i = j + fence.length;
  }
  return spans;
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
