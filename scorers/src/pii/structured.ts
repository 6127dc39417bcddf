import { ibanValid, ipv4Valid, ipv6Valid, luhnValid, ssnValid } from './checksums.ts';
import { after, before } from './context.ts';
import { allMatches, hasDigit } from './matches.ts';
import type { Detector, PiiFinding, PiiType } from './types.ts';

/** The finding for `value` matched at `start`; `validator` names the check it passed, if any. */
function finding(
  type: PiiType,
  start: number,
  value: string,
  confidence: number,
  validator?: string,
): PiiFinding {
  const f: PiiFinding = { type, start, end: start + value.length, text: value, confidence };
  if (validator !== undefined) f.validator = validator;
  return f;
}

/**
 * Typed numbers carry no-break spaces (U+00A0, U+202F) and hyphens (U+2010 hyphen, U+2011
 * non-breaking hyphen, U+2012 figure dash) where ASCII ones would do; the patterns take them as
 * separators and the checks read them as the ASCII ones.
 */
const SPACE_SEPS = '\u00a0\u202f';
const HYPHEN_SEPS = '\u2010\u2011\u2012';
const SPACES = new RegExp(`[${SPACE_SEPS}]`, 'g');
const HYPHENS = new RegExp(`[${HYPHEN_SEPS}]`, 'g');
function asciiSeparators(raw: string): string {
  return raw.replace(SPACES, ' ').replace(HYPHENS, '-');
}

// All patterns are compiled once; `allMatches` resets their lastIndex. Detectors of numbers skip digit-free text.

/**
 * Letters of any script may stand in an address (RFC 6531 local parts, IDN domains):
 * "müller@firma.de" was found as "ller@firma.de" and masked as "mü<EMAIL_ADDRESS>", and
 * "andré@example.fr" not at all.
 */
const EMAIL =
  /(?<![\p{L}\p{M}\p{N}_.%+-])[\p{L}\p{N}][\p{L}\p{M}\p{N}_.%+-]{0,63}@(?:[\p{L}\p{N}](?:[\p{L}\p{M}\p{N}-]{0,61}[\p{L}\p{M}\p{N}])?\.)+\p{L}[\p{L}\p{M}]{1,23}(?![\p{L}\p{M}\p{N}_-])/uy;
const PLACEHOLDER_EMAIL_DOMAIN =
  /@(?:example\.(?:com|org|net)|test\.com|domain\.com|email\.com|yourdomain\.\w+)$/i;

/** Room for the longest local part the pattern takes (64 code points, each maybe a surrogate pair), plus one. */
const BEFORE_AT = 129;

function isAsciiAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

const LOCAL_NON_ASCII = /^[\p{L}\p{M}\p{N}]$/u;

/**
 * The length (1 or 2 code units) of the local-part character ending at `end`, or 0 when none
 * does: [\p{L}\p{M}\p{N}_.%+-], what the pattern's lookbehind refuses before an address.
 */
function localCharBefore(text: string, end: number): number {
  const c = text.charCodeAt(end - 1);
  if (c < 128) return isAsciiAlnum(c) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45 ? 1 : 0;
  const pair = c >= 0xdc00 && c <= 0xdfff && end >= 2 && (text.charCodeAt(end - 2) & 0xfc00) === 0xd800;
  const width = pair ? 2 : 1;
  return LOCAL_NON_ASCII.test(text.slice(end - width, end)) ? width : 0;
}

/**
 * Email matches, as the pattern run over the whole text finds them, tried only where one can
 * start. An address holds one `@`, and its local part is the whole run of local-part characters
 * before it (the lookbehind refuses any later start), so each `@` has one place to try, unless
 * the match before it reaches past that place. Run over the text the pattern starts at every
 * letter; cut into windows around each `@` it missed an address whose window began where the
 * one before ended, inside its local part.
 */
function emailMatches(text: string): { index: number; value: string }[] {
  const found: { index: number; value: string }[] = [];
  let matchedTo = 0;
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    let start = at;
    for (
      let w = localCharBefore(text, start);
      w > 0 && at - start < BEFORE_AT;
      w = localCharBefore(text, start)
    )
      start -= w;
    if (start === at || start < matchedTo) continue;
    EMAIL.lastIndex = start;
    const m = EMAIL.exec(text);
    if (m === null) continue;
    found.push({ index: start, value: m[0] });
    matchedTo = start + m[0].length;
  }
  return found;
}

/**
 * Whether some `@` has a local-part character before it and a letter or digit after it, as
 * every address needs: a text whose only `@`s open handles ("RT @user") runs no pattern.
 */
function mayHoldEmail(text: string): boolean {
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    if (at === 0 || localCharBefore(text, at) === 0) continue;
    const next = text.charCodeAt(at + 1);
    if (isAsciiAlnum(next) || (next >= 128 && /^[\p{L}\p{N}]/u.test(text.slice(at + 1, at + 3)))) return true;
  }
  return false;
}

export const detectEmails: Detector = (text, out) => {
  if (!text.includes('@') || !mayHoldEmail(text)) return;
  for (const { index, value } of emailMatches(text)) {
    out.push(finding('EMAIL_ADDRESS', index, value, PLACEHOLDER_EMAIL_DOMAIN.test(value) ? 0.45 : 0.95));
  }
};

// 13-19 digits, optionally in groups split by one consistent separator.
const CARD = new RegExp(
  String.raw`(?<![\d.,\-${HYPHEN_SEPS}])\d{4}(?:[ \-${SPACE_SEPS}${HYPHEN_SEPS}]?\d{2,6}){1,4}(?![\d\-${HYPHEN_SEPS}])|(?<![\d.,\-${HYPHEN_SEPS}])\d{12,19}(?![\d\-${HYPHEN_SEPS}])`,
  'g',
);
const CARD_CONTEXT =
  /\b(?:card|credit|debit|visa|mastercard|master card|amex|american express|discover|cc|cvv|expir|charge|payment)/;

function cardNetworkPlausible(digits: string): boolean {
  const d1 = digits[0];
  // Issuer identification ranges of the networks that use Luhn: Visa 4, Mastercard 51-55 and 2221-2720,
  // Amex 34/37, Diners 30/36/38, Discover/UnionPay 6, JCB 35 and legacy 1800/2131.
  return d1 === '3' || d1 === '4' || d1 === '5' || d1 === '6' || d1 === '2' || digits.startsWith('1800');
}

export const detectCreditCards: Detector = (text, out) => {
  if (!hasDigit(text)) return;
  CARD.lastIndex = 0;
  for (let m = CARD.exec(text); m !== null; m = CARD.exec(text)) {
    const raw = m[0];
    const seps = asciiSeparators(raw).match(/[ -]/g);
    // Mixed separators join a card to what stands before it ("2026-12-06 4111 1111 ..."): look
    // again from inside the run, where the card may start after a space.
    if (seps && new Set(seps).size > 1) {
      CARD.lastIndex = m.index + 1;
      continue;
    }
    const digits = raw.replace(/\D/g, '');
    const ctx = CARD_CONTEXT.test(before(text, m.index, 40));
    // Maestro numbers may have 12 digits; that short, only a card word makes it a card.
    if (digits.length < (ctx ? 12 : 13) || digits.length > 19) continue;
    if (!luhnValid(digits) || !cardNetworkPlausible(digits)) continue;
    if (/^(\d)\1+$/.test(digits)) continue;
    out.push(finding('CREDIT_CARD', m.index, raw, ctx ? 0.97 : 0.85, 'luhn'));
  }
};

const SSN = new RegExp(
  String.raw`(?<![\d\-${HYPHEN_SEPS}])(\d{3})([\- ${SPACE_SEPS}${HYPHEN_SEPS}]?)(\d{2})\2(\d{4})(?![\d\-${HYPHEN_SEPS}])`,
  'g',
);
const SSN_CONTEXT = /\b(?:ssn|ss#|social security|social sec|tax ?id|taxpayer|itin)\b/;

export const detectSsns: Detector = (text, out) => {
  if (!hasDigit(text)) return;
  for (const m of allMatches(SSN, text)) {
    const [raw, area = '', sep = '', group = '', serial = ''] = m;
    if (!ssnValid(area, group, serial)) continue;
    const ctx = SSN_CONTEXT.test(before(text, m.index, 50));
    // Nine bare digits or space-separated groups are far more often something else.
    if (asciiSeparators(sep) !== '-' && !ctx) continue;
    out.push(finding('US_SSN', m.index, raw, ctx ? 0.95 : 0.8, 'ssn_ranges'));
  }
};

const IBAN = /(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}(?![A-Za-z0-9])/g;

export const detectIbans: Detector = (text, out) => {
  if (!hasDigit(text)) return;
  for (const m of allMatches(IBAN, text)) {
    let raw = m[0];
    // A space-separated IBAN may swallow the next word; shrink until the checksum holds.
    for (;;) {
      if (ibanValid(raw.replace(/ /g, ''))) {
        out.push(finding('IBAN_CODE', m.index, raw, 0.97, 'iban_mod97'));
        break;
      }
      const cut = raw.lastIndexOf(' ');
      if (cut < 15) break;
      raw = raw.slice(0, cut);
    }
  }
};

const IPV4 = /(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)/g;
const IPV6 = /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{0,4}|(?:\d{1,3}\.){3}\d{1,3})(?![\w:])/g;
const VERSION_CONTEXT =
  /(?:\bv|\bversion|\bver\.?|\brelease|\bbuild|\bfirmware|\bpackage|\bupdate to|\bupgrade to|@)\s*$/;
const IP_CONTEXT =
  /\b(?:ip|ips|ipv4|address|addr|host|server|gateway|dns|subnet|ping|connect|connecting|from|to|blocked|login|logged|source|src|dst|destination|client|proxy)\b/;

/** Whether some `.` has a digit on both sides, as every dotted quad does. */
function mayHoldIpv4(text: string): boolean {
  for (let dot = text.indexOf('.'); dot !== -1; dot = text.indexOf('.', dot + 1)) {
    const a = text.charCodeAt(dot - 1);
    const b = text.charCodeAt(dot + 1);
    if (a >= 48 && a <= 57 && b >= 48 && b <= 57) return true;
  }
  return false;
}

export const detectIps: Detector = (text, out) => {
  if (hasDigit(text) && mayHoldIpv4(text)) detectIpv4(text, out);
  if (mayHoldIpv6(text)) detectIpv6(text, out);
};

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

/** Two colons with at most four hex digits between them: without that pair IPV6 cannot match. */
function mayHoldIpv6(text: string): boolean {
  let prev = -1;
  for (let i = text.indexOf(':'); i !== -1; i = text.indexOf(':', i + 1)) {
    if (prev !== -1 && i - prev <= 5) {
      let hex = true;
      for (let k = prev + 1; k < i; k++) if (!isHex(text.charCodeAt(k))) hex = false;
      if (hex) return true;
    }
    prev = i;
  }
  return false;
}

const detectIpv4: Detector = (text, out) => {
  for (const m of allMatches(IPV4, text)) {
    const raw = m[0];
    if (!ipv4Valid(raw)) continue;
    const pre = before(text, m.index, 40);
    if (VERSION_CONTEXT.test(pre)) continue;
    const octets = raw.split('.').map(Number);
    // Tiny octets (1.2.3.4) read as version or section numbers unless the context says network.
    const small = octets.every((o) => o < 10);
    const ctx =
      IP_CONTEXT.test(pre) || /^\s*(?::\d{1,5}|\/\d{1,2})/.test(after(text, m.index + raw.length, 6));
    const confidence = small ? (ctx ? 0.7 : 0.3) : ctx ? 0.95 : 0.85;
    out.push(finding('IP_ADDRESS', m.index, raw, confidence, 'ipv4'));
  }
};

const detectIpv6: Detector = (text, out) => {
  for (const m of allMatches(IPV6, text)) {
    const raw = m[0];
    if (raw.length < 3 || !ipv6Valid(raw)) continue;
    // Times such as 12:30:45 never reach here (no `::`, too few groups); `a::b` alone is too weak.
    const groups = raw.split(':').filter(Boolean).length;
    const confidence = groups >= 4 ? 0.9 : raw === '::1' ? 0.7 : 0.5;
    out.push(finding('IP_ADDRESS', m.index, raw, confidence, 'ipv6'));
  }
};

// Digits in 2-5 groups with one kind of separator, optional +country code (or the North
// American 1 before 3-3-4 digits) and (area) part, the first group 2-4 digits or, after a
// country code, 1-5 (+33 6 12 34 56 78, +91 98765 43210); a UK five-digit code and its 5-6
// digits (07700 900123, 07700 900 123, (01632) 960123), never opening 00: that is the
// international prefix, and zero-padded ids ("00012 345678") would pass for one; or 9-15
// digits in one run (E.164 without its '+' reaches 13: 5511912345678), kept only after a word
// for a phone (`BARE_PHONE_CUE`). None may touch a clock time ("10:30"): digits joined to one
// by a colon are its hours or seconds.
const SEP = String.raw`[ .\-${SPACE_SEPS}${HYPHEN_SEPS}]`;
// Where a number ends: no word or digits go on, but an extension may ("415-555-0123x45").
const PHONE_END = String.raw`(?!(?!x\d)[\w/]|[.:\-${HYPHEN_SEPS}]\d)`;
const NANP_REST = String.raw`(?:\(\d{3}\)${SEP}?|\d{3}${SEP})\d{3}${SEP}\d{4}(?!\d)`;
const PHONE = new RegExp(
  String.raw`(?<![\w+\-/.${HYPHEN_SEPS}]|\d:)(?:\+\d{1,3}${SEP}?(?:\(\d{1,4}\)${SEP}?)?\d{1,5}|(?:1${SEP}?(?=${NANP_REST}))?(?:\(\d{1,4}\)${SEP}?)?\d{2,4})(?:${SEP}\d{2,8}){1,4}${PHONE_END}|(?<![\w+\-/.${HYPHEN_SEPS}]|\d:)(?:0[1-9]\d{3}${SEP}|\(0[1-9]\d{3}\)${SEP}?)(?:\d{5,6}|\d{3}${SEP}\d{3})${PHONE_END}|(?<![\w+])\+\d{8,14}(?!(?!x\d)\w)|(?<![\w+\-/.,${HYPHEN_SEPS}]|\d:)\d{9,15}(?!(?!x\d)[\w/]|[.,:\-${HYPHEN_SEPS}]\d)`,
  'g',
);
/** A date that opens a longer run of groups, before its time or another number: "2026-12-06 10 30". */
const DATE_FIRST = /^(?:(?:19|20)\d\d([-./])\d{1,2}\1\d{1,2}|\d{1,2}([-./])\d{1,2}\2(?:19|20)\d\d) /;
/** A date and time written as one run, to the minute or second: 202612061030, 20261206103000. */
const DIGIT_STAMP =
  /^(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:[01]\d|2[0-3])[0-5]\d(?:[0-5]\d)?$/;

/**
 * Whether a run of digits with no '+' and no separators is no phone number as written. A leading
 * '1' is the North American country code, always before ten digits, so twelve or more are too
 * many. A date-time stamp, or ten digits opening with 1 (every epoch time in seconds from 2001
 * to 2033), is the likelier reading after "call at" (a tool call's time), but not after words
 * that name a phone (`PHONE_NAMED`): "telefone: 1123456789" is a São Paulo landline without its
 * trunk 0, "phone: 1012345678" an Egyptian mobile. Polish numbers and Chinese or Brazilian
 * mobiles open with 1 at 9 or 11 digits and always pass.
 */
function implausibleBarePhone(digits: string, pre: string): boolean {
  const opensWith1 = digits.startsWith('1');
  if (opensWith1 && digits.length >= 12) return true;
  if (!DIGIT_STAMP.test(digits) && !(opensWith1 && digits.length === 10)) return false;
  return !PHONE_NAMED.test(pre);
}
// Words for a telephone in the languages the other detectors read; "Telefon:" heads German, Nordic and Slavic forms.
const PHONE_WORDS =
  't[eé]l[eé]phone|tel[eé]fono|telefone|telefon(?:nummer)?|handy(?:nummer)?|rufnummer|m[oó]vil|celular|portable|cellulare';
const PHONE_CONTEXT = new RegExp(
  String.raw`\b(?:phone|tel|telephone|mobile|cell|cellphone|call|called|calling|ring|fax|sms|text|texts|whatsapp|signal|number|no\.|nr\.?|contact|reach|reached|dial|messages|answering|registered|landline|hotline|extension|ext)\b[^\n]{0,25}$|(?<![\p{L}\p{N}])(?:${PHONE_WORDS})(?![\p{L}\p{N}])[^\n]{0,25}$|(?:^|\n)\s*(?:p|t|m|ph|tel|phone|mobile|cell)\s*[:.]\s*$`,
  'u',
);
// Words that name a phone, as against the act of calling (see `implausibleBarePhone`).
const PHONE_NOUNS = `(?:tele)?phone(?:number)?|tel|mobile|cell(?:phone)?|fax|whatsapp|landline|hotline|(?:my|your|his|her|our|their) number|${PHONE_WORDS}`;
/**
 * From a cue word to the digits: only linking words and punctuation, including a JSON, XML or
 * snake_case key's (`{"phone_number": "`, `<tel>`; `phoneNumber` is read lower-cased).
 */
const CUE_TO_DIGITS = String.raw`(?![\p{L}\p{N}])(?:[\s:.,#=()"'_>-]|(?<![\p{L}])(?:number|no|nr|num|is|was|es|est|ist|é|è|är|er|me|us|him|her|them|on|at)(?![\p{L}]))*$`;
/**
 * What an unbroken run of digits needs just before it to be read as a phone number: a word
 * for a phone, or a verb for using one with its object, then only linking words and
 * punctuation ("my phone number is", "call me:", "text me on"). Such runs are just as often
 * order, account or tracking numbers, so the wider `PHONE_CONTEXT` ("number", "contact",
 * "registered") is not enough.
 */
const BARE_PHONE_CUE = new RegExp(
  String.raw`(?<![\p{L}\p{N}])(?:${PHONE_NOUNS}|sms|call|dial|(?:text|ring) (?:me|us|him|her|them))${CUE_TO_DIGITS}`,
  'u',
);
/** A `BARE_PHONE_CUE` that names the phone itself, not the act of calling ("call at", "last_call:"). */
const PHONE_NAMED = new RegExp(String.raw`(?<![\p{L}\p{N}])(?:${PHONE_NOUNS})${CUE_TO_DIGITS}`, 'u');
const NOT_PHONE_CONTEXT =
  /(?:\$|€|£|¥|\busd|\beur|\bprice|\bcost|\btotal|\bamount|\bbalance|\bversion|\bv|\bisbn|\bid|\border|\binvoice|#)\s*$/;

/** Between two numbers of one list of phones: "0612345678, 0698765432", "… or …", "… / …". */
const PHONE_LIST_LINK = /^\s*(?:[,;/]|or|and|oder|ou|o)?\s*$/i;
/** After a listed phone: the list's end or its next item, not a word ("1234567890 characters"). */
const PHONE_LIST_END = /^\s*(?:$|[,;/.)!?]|or(?![\p{L}])|and(?![\p{L}]))/iu;
/** After a run of digits, an amount's unit: "123456789 EUR" is money whatever came before it. */
const AMOUNT_AFTER = /^\s*(?:€|\$|£|¥|(?:eur|usd|gbp|chf|jpy|dollars?|euros?|pounds?)(?![\p{L}]))/iu;

export const detectPhones: Detector = (text, out) => {
  if (!hasDigit(text)) return;
  // Where the last phone number ended, and its digits: a bare run listed after it, as long and
  // ending the list or going on to its next item, is one too.
  let lastPhoneEnd = -1;
  let lastPhoneDigits = 0;
  PHONE.lastIndex = 0;
  for (let m = PHONE.exec(text); m !== null; m = PHONE.exec(text)) {
    const raw = m[0];
    const ascii = asciiSeparators(raw);
    // A date that opens a longer run is followed by its time or by a number of its own
    // ("2026-12-06 020 7946 0958"): read on from the space after the date.
    const date = DATE_FIRST.exec(ascii);
    if (date) {
      PHONE.lastIndex = m.index + date[0].length - 1;
      continue;
    }
    const digits = raw.replace(/\D/g, '');
    if (digits.length < 7 || digits.length > 15) continue;
    const bare = digits === raw;
    const seps = ascii.replace(/[\d()+]/g, '');
    const distinct = new Set(seps.replace(/ /g, ''));
    // Mixing '.' with '-' (or two kinds besides spaces) is a date, version or range, not a number.
    if (distinct.size > 1) continue;
    if (/^\d{4}[-./]\d{1,2}[-./]\d{1,2}$/.test(ascii) || /^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$/.test(ascii))
      continue;
    const pre = before(text, m.index, 45);
    if (bare && implausibleBarePhone(digits, pre)) continue;
    if (distinct.has('.') && raw.split('.').length === 4 && ipv4Valid(raw)) continue;
    if (NOT_PHONE_CONTEXT.test(pre)) continue;
    if (
      bare &&
      (AMOUNT_AFTER.test(text.slice(m.index + raw.length, m.index + raw.length + 12)) ||
        !(
          BARE_PHONE_CUE.test(pre) ||
          (lastPhoneEnd >= 0 &&
            Math.abs(digits.length - lastPhoneDigits) <= 1 &&
            PHONE_LIST_LINK.test(text.slice(lastPhoneEnd, m.index)) &&
            PHONE_LIST_END.test(text.slice(m.index + raw.length)))
        ))
    )
      continue;
    // A key such as "phone_number" or "phoneNumber" has no word boundary for `PHONE_CONTEXT`.
    const ctx = PHONE_CONTEXT.test(pre) || BARE_PHONE_CUE.test(pre);
    const international = raw.startsWith('+');
    const nanp = /^(?:\+?1[ .-]?)?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}$/.test(ascii);
    let confidence = 0.35;
    if (international && digits.length >= 9) confidence = 0.85;
    else if (nanp) confidence = 0.75;
    if (ctx) confidence = Math.min(0.95, confidence + 0.45);
    out.push(finding('PHONE_NUMBER', m.index, raw, confidence));
    lastPhoneEnd = m.index + raw.length;
    lastPhoneDigits = digits.length;
  }
};

// US licence formats vary by state (1-2 letters + digits, or 7-13 digits); only trusted after a cue.
const LICENSE =
  /\b(?:driver'?s?|driving|driver)\s*(?:license|licence|lic\.?)(?:\s*(?:number|no\.?|num|#|id))?\s*(?:is|:|=|#)?\s*([A-Za-z]{0,2}[- ]?\d[\d -]{4,14}\d|[A-Za-z]\d{3}-\d{4}-\d{4})\b|\bDL\s*(?:#|no\.?|number|:)\s*([A-Za-z]{0,2}\d{5,13})\b/gi;

export const detectDriverLicenses: Detector = (text, out) => {
  if (!hasDigit(text)) return;
  for (const m of allMatches(LICENSE, text)) {
    const value = m[1] ?? m[2];
    if (!value) continue;
    const start = m.index + m[0].lastIndexOf(value);
    out.push(finding('US_DRIVER_LICENSE', start, value, 0.8));
  }
};

export const STRUCTURED_DETECTORS: ReadonlyArray<readonly [PiiFinding['type'], Detector]> = [
  ['EMAIL_ADDRESS', detectEmails],
  ['CREDIT_CARD', detectCreditCards],
  ['US_SSN', detectSsns],
  ['IBAN_CODE', detectIbans],
  ['IP_ADDRESS', detectIps],
  ['PHONE_NUMBER', detectPhones],
  ['US_DRIVER_LICENSE', detectDriverLicenses],
];
