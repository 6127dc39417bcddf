/**
 * Encoded fragments worth rescoring: base64 and hex runs that decode to
 * readable text, and the whole text under rot13 when it says it is rot13.
 * Attackers hide instructions this way from phrase filters. All of them: with
 * the first few only, decoys in front hid the one that mattered.
 */

import { codeUnitReader } from './code-units.ts';

export interface DecodedPayload {
  encoding: 'base64' | 'hex' | 'rot13';
  start: number;
  end: number;
  decoded: string;
}

const HEX_RUN = /(?:\\x[0-9a-fA-F]{2}){6,}|(?<![0-9a-fA-F])(?:[0-9a-fA-F]{2}[ :]?){8,}(?![0-9a-fA-F])/g;
const ROT13_MENTION = /\brot[- ]?13\b/i;

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

function isB64(c: number): boolean {
  return c < 128 && B64[c] === 1;
}

function isHexOrSeparator(c: number): boolean {
  return isHexDigit(c) || c === 32 || c === 58;
}

/**
 * The maximal base64 runs of 16+ characters (with up to two `=`), as `[start, end]`
 * pairs into `runs`. A run that long covers the 16th character from any point before
 * it, so the scan looks there first and skips ahead when it is no base64 character:
 * prose, whose words are short, is read about one character in eight.
 */
function base64Runs(units: Uint16Array, len: number, runs: number[]): void {
  let i = 0;
  // Invariant: units[i - 1], when there is one, is not a base64 character.
  while (i + 16 <= len) {
    const probe = i + 15;
    if (!isB64(units[probe] as number)) {
      i = probe + 1;
      continue;
    }
    let start = probe;
    while (start > i && isB64(units[start - 1] as number)) start--;
    let end = probe + 1;
    while (end < len && isB64(units[end] as number)) end++;
    if (end - start < 16) {
      i = end + 1;
      continue;
    }
    if (end < len && units[end] === 61) end++;
    if (end < len && units[end] === 61) end++;
    runs.push(start, end);
    i = end;
  }
}

/**
 * Whether the text could hold a hex run in paired form: 16 hex digits between single
 * spaces or colons. Prose seldom has that (words of the letters a–f alone came close
 * often enough), and the hex pattern itself is costly to try at every word start. Such
 * a stretch is 16+ characters of hex digits and separators, so the scan skips ahead as
 * `base64Runs` does and counts digits only inside those stretches.
 */
function mayHoldPairedHex(units: Uint16Array, len: number): boolean {
  let i = 0;
  // Invariant: units[i - 1], when there is one, is neither a hex digit nor a separator.
  while (i + 16 <= len) {
    const probe = i + 15;
    if (!isHexOrSeparator(units[probe] as number)) {
      i = probe + 1;
      continue;
    }
    let start = probe;
    while (start > i && isHexOrSeparator(units[start - 1] as number)) start--;
    let end = probe + 1;
    while (end < len && isHexOrSeparator(units[end] as number)) end++;
    let digits = 0;
    let separator = false;
    for (let k = start; k < end; k++) {
      if (isHexDigit(units[k] as number)) {
        if (++digits >= 16) return true;
        separator = false;
      } else {
        if (separator) digits = 0;
        separator = true;
      }
    }
    i = end + 1;
  }
  return false;
}

/** The escaped form of a hex run needs `\x` and a stretch of hex digits, spaces, colons and `\x` with 12 digits. */
function mayHoldEscapedHex(text: string, units: Uint16Array, len: number): boolean {
  if (!text.includes('\\x')) return false;
  let digits = 0;
  for (let i = 0; i < len; i++) {
    const c = units[i] as number;
    if (isHexDigit(c)) {
      if (++digits >= 12) return true;
    } else if (c !== 32 && c !== 58 && c !== 92 && c !== 120) digits = 0;
  }
  return false;
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

const readUnits = codeUnitReader();

function scan(text: string): DecodedPayload[] {
  const found: DecodedPayload[] = [];
  const units = readUnits(text);
  const runs: number[] = [];
  base64Runs(units, text.length, runs);
  for (let r = 0; r < runs.length; r += 2)
    decodeBase64Run(text, runs[r] as number, runs[r + 1] as number, found);
  if (mayHoldPairedHex(units, text.length) || mayHoldEscapedHex(text, units, text.length)) {
    for (const m of text.matchAll(HEX_RUN)) {
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
