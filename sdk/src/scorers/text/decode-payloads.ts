/**
 * Encoded fragments worth rescoring: base64 and hex runs that decode to
 * readable text, and the whole text under rot13 when it says it is rot13.
 * Attackers hide instructions this way from phrase filters.
 */

export interface DecodedPayload {
  encoding: 'base64' | 'hex' | 'rot13';
  start: number;
  end: number;
  decoded: string;
}

const HEX_RUN = /(?:\\x[0-9a-fA-F]{2}){6,}|(?<![0-9a-fA-F])(?:[0-9a-fA-F]{2}[ :]?){8,}(?![0-9a-fA-F])/g;
const ROT13_MENTION = /\brot[- ]?13\b/i;
const MAX_PAYLOADS = 4;

/** Mostly printable ASCII with some letters and a space: decoded prose, not binary or an id. */
function readable(s: string): boolean {
  if (s.length < 8) return false;
  let printable = 0;
  let letters = 0;
  let spaces = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 32 && c < 127) || c === 10 || c === 13 || c === 9) printable++;
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) letters++;
    if (c === 32) spaces++;
  }
  return printable / s.length > 0.95 && letters / s.length > 0.5 && spaces > 0;
}

function rot13(s: string): string {
  return s.replace(/[a-zA-Z]/g, (ch) => {
    const base = ch <= 'Z' ? 65 : 97;
    return String.fromCharCode(((ch.charCodeAt(0) - base + 13) % 26) + base);
  });
}

/** Base64 alphabet without padding, by code unit. */
const B64 = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') B64[c.charCodeAt(0)] = 1;

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/**
 * Whether the text could hold a hex run: a stretch of hex digits, spaces, colons
 * and `\x` with at least 12 digits. Prose almost never has one, and the hex
 * pattern itself is costly to try at every word start.
 */
function mayHoldHex(text: string): boolean {
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isHexDigit(c)) {
      if (++digits >= 12) return true;
    } else if (c !== 32 && c !== 58 && c !== 92 && c !== 120) digits = 0;
  }
  return false;
}

/** Maximal base64 runs of 16+ characters (with up to two `=`), as `BASE64_RUN` finds them, in linear time. */
function base64Runs(text: string, visit: (start: number, end: number) => boolean): void {
  const len = text.length;
  let i = 0;
  while (i < len) {
    const c = text.charCodeAt(i);
    if (c >= 128 || B64[c] === 0) {
      i++;
      continue;
    }
    const start = i;
    while (i < len) {
      const d = text.charCodeAt(i);
      if (d >= 128 || B64[d] === 0) break;
      i++;
    }
    if (i - start < 16) continue;
    let end = i;
    if (end < len && text.charCodeAt(end) === 61) end++;
    if (end < len && text.charCodeAt(end) === 61) end++;
    if (!visit(start, end)) return;
    i = end;
  }
}

function decodeBase64Run(text: string, start: number, end: number, found: DecodedPayload[]): void {
  const run = text.slice(start, end);
  // Plain words and identifiers match the alphabet too; real base64 of prose mixes cases and digits.
  if (!/[A-Z]/.test(run) || !/[a-z]/.test(run)) return;
  let decoded: string;
  try {
    decoded = atob(run.length % 4 === 0 ? run : run + '='.repeat((4 - (run.length % 4)) % 4));
  } catch {
    return;
  }
  if (readable(decoded)) found.push({ encoding: 'base64', start, end, decoded });
}

function scan(text: string): DecodedPayload[] {
  const found: DecodedPayload[] = [];
  base64Runs(text, (start, end) => {
    decodeBase64Run(text, start, end, found);
    return found.length < MAX_PAYLOADS;
  });
  if (found.length < MAX_PAYLOADS && mayHoldHex(text)) {
    for (const m of text.matchAll(HEX_RUN)) {
      if (found.length >= MAX_PAYLOADS) break;
      const digits = m[0].replace(/\\x|[ :]/g, '');
      let decoded = '';
      for (let i = 0; i + 1 < digits.length; i += 2)
        decoded += String.fromCharCode(Number.parseInt(digits.slice(i, i + 2), 16));
      if (readable(decoded))
        found.push({ encoding: 'hex', start: m.index, end: m.index + m[0].length, decoded });
    }
  }
  if (text.includes('13') && ROT13_MENTION.test(text))
    found.push({ encoding: 'rot13', start: 0, end: text.length, decoded: rot13(text) });
  return found;
}

let lastText: string | undefined;
let lastFound: readonly DecodedPayload[] = [];

/**
 * Encoded fragments of `text` that decode to readable text. Every learned
 * scorer asks for the same text in turn, so the last answer is kept.
 */
export function decodePayloads(text: string): readonly DecodedPayload[] {
  if (text !== lastText) {
    lastFound = scan(text);
    lastText = text;
  }
  return lastFound;
}
