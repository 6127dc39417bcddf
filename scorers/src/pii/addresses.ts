import { before } from './context.ts';
import { englishCommon, englishKnown, streetSuffixes } from './lexicon.ts';
import { allMatches, hasDigit } from './matches.ts';
import type { Detector, PiiFinding } from './types.ts';

// Street types written after the name (English and Nordic/Dutch abbreviations), beyond faker's lists.
const SUFFIX_WORDS = new Set([
  ...streetSuffixes,
  ...'st str rd ave av blvd bd ln dr ct pl sq ter terr pkwy hwy cir cres cl wy trl aly row mews close walk gardens grove hill rise vale wharf parade esplanade promenade'.split(
    ' ',
  ),
]);

// Words that begin a street name in Romance, Slavic and other languages ("Rue de la Paix 12").
const PREFIX =
  'rue|avenue|av\\.|avenida|boulevard|bd\\.?|bvd|via|viale|piazza|piazzale|corso|largo|vicolo|calle|c/|carrer|camino|paseo|plaza|praça|rua|travessa|estrada|alameda|chemin|allée|place|quai|impasse|route|ulica|ul\\.|al\\.|aleja|plac|trg|ulitsa|ul|strada|str\\.|bulevardul|calea|rruga|odos|náměstí|nám\\.|ulice|třída|utca|út|tér|calçada|largo|rambla|ronda|cesta';
const PREFIX_WORDS = new Set(PREFIX.replaceAll('\\', '').split('|'));
// Endings of compound street names in Germanic, Nordic, Finnish, Baltic and Icelandic.
const MORPHEME =
  'straße|strasse|str\\.|weg|gasse|allee|platz|ring|damm|ufer|steig|pfad|chaussee|markt|tie|katu|kuja|polku|raitti|väylä|vägen|väg|gatan|gata|gränd|vej|gade|allé|veien|vegen|veg|braut|stræde|stræti|vegur|gata|laan|straat|plein|gracht|kade|dreef|singel|utca|iela|gatvė|gatve|tee|maantee|ulica|ulice';

const WORD = String.raw`[\p{L}\p{M}][\p{L}\p{M}'’.-]*`;
const UNIT = String.raw`(?:,?\s*(?:apt|apartment|suite|ste|unit|flat|room|rm|floor|fl|bldg|building|#)\.?\s*#?\s*[\w-]{1,6})`;

const SUFFIX_ALTERNATION = [...SUFFIX_WORDS]
  .filter((w) => /^[\p{L}]+$/u.test(w))
  .sort((a, b) => b.length - a.length)
  .join('|');
// 1) house number, 1-5 words on one line, a street-type word: "1737 Cheriton Dr", "7873 216 Menzies Street".
const NUMBER_NAME_TYPE = new RegExp(
  String.raw`(?<![\w.,/-])\d{1,6}[A-Za-z]?[ \t]+((?:(?:${WORD}|\d{1,4}(?:st|nd|rd|th)?)[ \t]+){1,5})(${SUFFIX_ALTERNATION})\.?(?![\p{L}\p{M}])`,
  'giu',
);
// 2) house number, 1-4 words, a second number, optional units: "764 Fagradalsbraut 71 Apt. 762".
const NUMBER_NAME_NUMBER = new RegExp(
  String.raw`(?<![\w.,/-])\d{1,6}\s+((?:${WORD}[ \t]+){0,3}${WORD})[ \t]+\d{1,5}[A-Za-z]?(?![\w.,]\d|[\w-])(${UNIT}*)`,
  'gu',
);
// 3) prefix street word or compound with a street ending, then a number: "Rue de Rivoli 12", "Hauptstraße 5".
const NAMED_STREET_NUMBER = new RegExp(
  String.raw`(?<![\p{L}\p{M}])(?:(?:${PREFIX})\s+(?:${WORD}\s+){0,4}?|\p{Lu}[\p{L}\p{M}]*(?:${MORPHEME})\s+|\p{Lu}[\p{L}\p{M}]+\s+(?:${MORPHEME})\s+)\d{1,5}[A-Za-z]?(?![\w])(${UNIT}*)`,
  'giu',
);
// 4) numbered street after the prefix: "12 Rue de la Paix", "5 Avenue Foch".
const NUMBER_PREFIX_STREET = new RegExp(
  String.raw`(?<![\w.,/-])\d{1,5}[A-Za-z]?,?\s+(?:${PREFIX})\s+(?:(?:de|du|des|la|le|di|da|del|dos|das)\s+){0,2}${WORD}(?:[ \t]+(?!(?:and|or|in|at|on|for|to|the)\b)${WORD}){0,2}`,
  'giu',
);
const PO_BOX = /\b(?:P\.?\s?O\.?\s?Box|Post Office Box|PO Box|Postfach|Apartado|Casilla)\s+\d{1,6}\b/gi;
const MILITARY =
  /\b(?:(?:PSC|Unit|CMR)\s+\d{3,5},?\s+Box\s+\d{1,5},?\s+)?(?:APO|FPO|DPO)\s+(?:AA|AE|AP)\s+\d{5}\b/g;

const CITY_ZIP =
  /^(?:,\s*\p{Lu}[\p{L}\p{M}'’.-]*(?:[ \t]+[\p{L}\p{M}'’.-]+){0,3}){1,3},?[ \t]+(?:[A-Z]{2}[ \t]+)?\d{4,6}(?:-\d{4})?(?!\w)/u;
const STRONG_CONTEXT =
  /\b(?:address|addr|live|lives|living|lived|located|location|reside|resides|residing|ship|shipped|shipping|deliver|delivered|delivery|send|sent|mail|mailing|return|billing|home|office|offices|headquarters|moved|move|visit|meet|stay|staying|apartment|house|street)\b[^\n.]{0,25}$/;
const WEAK_CONTEXT = /\b(?:at|to|on|from|of)\s+(?:the\s+)?$/;

const NUMBER_TOKEN = /(?<![\w.,/-])\d{1,5}[A-Za-z]?(?!\w)/g;

// ASCII spellings of the street prefixes and compound endings, for the named-street prefilter.
// "bd\\.?" stands for both "bd" and "bd.".
const ASCII_PREFIXES = new Set(
  PREFIX.replaceAll('\\', '')
    .split('|')
    .flatMap((w) => (w.endsWith('?') ? [w.slice(0, -2), w.slice(0, -1)] : [w]))
    .filter((w) => /^[\x20-\x7e]+$/.test(w)),
);
const ASCII_MORPHEMES = new Set(
  MORPHEME.replaceAll('\\', '')
    .split('|')
    .filter((w) => /^[\x20-\x7e]+$/.test(w)),
);
const LONGEST_MORPHEME = Math.max(...[...ASCII_MORPHEMES].map((w) => w.length));
const LONGEST_PREFIX = Math.max(...[...ASCII_PREFIXES].map((w) => w.length));

function isAsciiSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function isAsciiLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/**
 * Whether `NAMED_STREET_NUMBER` could match in `window` with its number starting before
 * `numberEnd`. A match numbered by a later token is left to that token's own window: looking
 * for it here too made every digit of a digit-dense line be walked back from some thirty
 * times. Its number follows whitespace,
 * after either a word with a street ending or, up to four words earlier, a word ending
 * in a street prefix that starts after a non-letter. Each number after whitespace is
 * checked by walking back over those words; where they hold anything but ASCII the
 * answer is yes, since the case-insensitive Unicode pattern folds more than ASCII
 * lower-casing does.
 */
function mayHoldNamedStreet(window: string, numberEnd: number): boolean {
  for (let d = 1; d < numberEnd; d++) {
    const c = window.charCodeAt(d);
    if (c < 48 || c > 57) continue;
    const before = window.charCodeAt(d - 1);
    if (before >= 128) return true;
    if (!isAsciiSpace(before)) continue;
    let i = d - 1;
    for (let word = 0; word < 5; word++) {
      while (i >= 0 && isAsciiSpace(window.charCodeAt(i))) i--;
      if (i < 0) break;
      const end = i + 1;
      while (i >= 0 && !isAsciiSpace(window.charCodeAt(i))) {
        if (window.charCodeAt(i) >= 128) return true;
        i--;
      }
      const start = i + 1;
      // "Hauptstrasse 5", "Karl Johans gate 1".
      if (word === 0)
        for (let len = 1; len <= LONGEST_MORPHEME && len <= end - start; len++)
          if (ASCII_MORPHEMES.has(window.slice(end - len, end).toLowerCase())) return true;
      // "Rue de Rivoli 12", "via Roma 3".
      for (let k = Math.max(start, end - LONGEST_PREFIX); k < end; k++) {
        if (k > start && isAsciiLetter(window.charCodeAt(k - 1))) continue;
        if (ASCII_PREFIXES.has(window.slice(k, end).toLowerCase())) return true;
      }
    }
  }
  return false;
}

// Literal words `PO_BOX` needs, with the same (non-Unicode) case folding: far cheaper to look for.
const PO_BOX_WORD = /box|postfach|apartado|casilla/i;

const UNIT_WORDS = /^(?:apt|apartment|suite|ste|unit|flat|room|rm|floor|fl|bldg|building)\.?$/i;

/** A word fit for a street name: capitalised, or not an everyday English word. */
function streetWord(word: string): boolean {
  const c = word[0] ?? '';
  const lower = word.toLowerCase().replace(/\.$/, '');
  if (c !== c.toLowerCase()) return !englishCommon.has(lower) || word.length > 1;
  return !englishCommon.has(lower) && !englishKnown.has(lower);
}

function contextBoost(text: string, start: number): number {
  const pre = before(text, start, 50);
  if (STRONG_CONTEXT.test(pre)) return 0.3;
  if (WEAK_CONTEXT.test(pre)) return 0.15;
  return 0;
}

function extend(text: string, end: number): number {
  const rest = text.slice(end, end + 120);
  const unit = rest.match(new RegExp(`^${UNIT}+`, 'i'));
  let e = end + (unit ? unit[0].length : 0);
  const city = text.slice(e, e + 120).match(CITY_ZIP);
  if (city) e += city[0].length;
  return e;
}

function push(out: PiiFinding[], text: string, start: number, end: number, confidence: number): void {
  const e = extend(text, end);
  out.push({
    type: 'STREET_ADDRESS',
    start,
    end: e,
    text: text.slice(start, e),
    confidence: Math.min(0.95, confidence),
  });
}

export const detectAddresses: Detector = (text, out) => {
  // Every address form carries a house number, box number or ZIP.
  if (!hasDigit(text)) return;
  for (const m of allMatches(NUMBER_NAME_TYPE, text)) {
    const middle = (m[1] ?? '').trim().split(/\s+/);
    const named = middle.filter((w) => !/^\d/.test(w));
    if (named.length > 0 && !named.every(streetWord)) continue;
    // Everyday phrases ("3 big Hill"): want a capitalised or foreign name part, or a numbered street.
    if (named.length === 0 && !middle.some((w) => /^\d/.test(w))) continue;
    const capitalised = named.every((w) => (w[0] ?? '') !== (w[0] ?? '').toLowerCase());
    push(
      out,
      text,
      m.index,
      m.index + m[0].length,
      (capitalised ? 0.75 : 0.55) + contextBoost(text, m.index),
    );
  }
  for (const m of allMatches(NUMBER_NAME_NUMBER, text)) {
    const words = (m[1] ?? '').trim().split(/[ \t]+/);
    if (UNIT_WORDS.test(words[0] ?? '')) continue;
    if (!words.every(streetWord)) continue;
    if (words.every((w) => englishCommon.has(w.toLowerCase()))) continue;
    const units = (m[2] ?? '').length > 0;
    push(out, text, m.index, m.index + m[0].length, 0.5 + (units ? 0.3 : 0) + contextBoost(text, m.index));
  }
  // The named-street pattern starts with a word, so running it over the whole text would try it at every
  // letter; instead it runs on the short stretch of line before each number.
  let searchedTo = 0;
  // Number tokens come in text order, so the line start only moves forward: asking
  // `lastIndexOf` per token would rescan a long line from each one, quadratic in its length.
  let lineStart = 0;
  let nextNewline = text.indexOf('\n');
  for (const n of allMatches(NUMBER_TOKEN, text)) {
    while (nextNewline !== -1 && nextNewline < n.index) {
      lineStart = nextNewline + 1;
      nextNewline = text.indexOf('\n', lineStart);
    }
    const from = Math.max(lineStart, n.index - 60, searchedTo);
    const to = n.index + n[0].length;
    searchedTo = to;
    const window = text.slice(from, Math.min(text.length, to + 60));
    if (!mayHoldNamedStreet(window, to - from)) continue;
    for (const m of allMatches(NAMED_STREET_NUMBER, window)) {
      if (from + m.index + m[0].length < to) continue;
      namedStreet(text, out, { index: from + m.index, 0: m[0] });
      break;
    }
  }
  otherForms(text, out);
};

function namedStreet(text: string, out: PiiFinding[], m: { index: number; 0: string }): void {
  const head = m[0].split(/\s+/)[0] ?? '';
  const headLower = head.toLowerCase();
  // A compound ending in "-ring" or "-weg" that is an English word ("During 2017") is no street.
  if (!PREFIX_WORDS.has(headLower) && (englishCommon.has(headLower) || englishKnown.has(headLower))) return;
  // The prefix alternation is case-insensitive; a lower-case "place 3" or "via 2" is ordinary prose.
  if (
    (head[0] ?? '') === (head[0] ?? '').toLowerCase() &&
    !/[a-z]{3,}(?:straße|strasse|weg|gasse|tie|katu|vej|gade|vägen|gatan)/.test(head)
  )
    return;
  push(out, text, m.index, m.index + m[0].length, 0.7 + contextBoost(text, m.index));
}

function otherForms(text: string, out: PiiFinding[]): void {
  for (const m of allMatches(NUMBER_PREFIX_STREET, text)) {
    // Case-insensitive match; "3 place settings" is prose, "3 Place Vendôme" or "12 rue Lepic" is not.
    let matched = m[0];
    // Trailing lower-case words ("… de la Paix tomorrow") belong to the sentence, not the street.
    for (;;) {
      const cut = matched.search(/\s+\S+$/);
      const last = matched.slice(cut).trim();
      const lowerCase = (last[0] ?? '') === (last[0] ?? '').toLowerCase();
      if (!lowerCase || cut < 0 || matched.slice(0, cut).trim().split(/\s+/).length < 3) break;
      matched = matched.slice(0, cut);
    }
    const last = matched.slice(matched.search(/\S+$/));
    if ((last[0] ?? '') === (last[0] ?? '').toLowerCase() || englishCommon.has(last.toLowerCase())) continue;
    push(out, text, m.index, m.index + matched.length, 0.75 + contextBoost(text, m.index));
  }
  // Both patterns need a literal word; without it they would still be tried at every word.
  if (PO_BOX_WORD.test(text))
    for (const m of allMatches(PO_BOX, text)) push(out, text, m.index, m.index + m[0].length, 0.85);
  if (text.includes('APO') || text.includes('FPO') || text.includes('DPO'))
    for (const m of allMatches(MILITARY, text)) push(out, text, m.index, m.index + m[0].length, 0.85);
}
