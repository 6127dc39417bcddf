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

const BASE64_RUN = /[A-Za-z0-9+/]{16,}={0,2}/g;
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

export function decodePayloads(text: string): DecodedPayload[] {
  const found: DecodedPayload[] = [];
  for (const m of text.matchAll(BASE64_RUN)) {
    if (found.length >= MAX_PAYLOADS) break;
    const run = m[0];
    // Plain words and identifiers match the alphabet too; real base64 of prose mixes cases and digits.
    if (!/[A-Z]/.test(run) || !/[a-z]/.test(run)) continue;
    let decoded: string;
    try {
      decoded = atob(run.length % 4 === 0 ? run : run + '='.repeat((4 - (run.length % 4)) % 4));
    } catch {
      continue;
    }
    if (readable(decoded))
      found.push({ encoding: 'base64', start: m.index, end: m.index + run.length, decoded });
  }
  for (const m of text.matchAll(HEX_RUN)) {
    if (found.length >= MAX_PAYLOADS) break;
    const digits = m[0].replace(/\\x|[ :]/g, '');
    let decoded = '';
    for (let i = 0; i + 1 < digits.length; i += 2)
      decoded += String.fromCharCode(Number.parseInt(digits.slice(i, i + 2), 16));
    if (readable(decoded))
      found.push({ encoding: 'hex', start: m.index, end: m.index + m[0].length, decoded });
  }
  if (ROT13_MENTION.test(text))
    found.push({ encoding: 'rot13', start: 0, end: text.length, decoded: rot13(text) });
  return found;
}
