import { detectPii, resolveOverlaps } from './detect.ts';
import { type DetectPiiOptions, PII_TYPES, type PiiFinding, type PiiType } from './types.ts';

export interface MaskPiiOptions extends DetectPiiOptions {
  /** Returns the replacement for one finding; default `<TYPE>`. */
  replacer?: (finding: PiiFinding) => string;
  /** Keep the last four digits of cards, IBANs and phone numbers: `****1234`. */
  partial?: boolean;
}

function keepLastFour(value: string): string {
  const chars = [...value];
  let digitsSeen = 0;
  for (let i = chars.length - 1; i >= 0; i--) {
    const ch = chars[i] as string;
    if (/[A-Za-z0-9]/.test(ch)) {
      digitsSeen++;
      if (digitsSeen > 4) chars[i] = '*';
    }
  }
  return chars.join('').replace(/[ -]/g, '');
}

/** The mask `maskPii` writes for an entity by default: `<PERSON>`. */
const maskOf = (type: PiiType) => `<${type}>`;

export function defaultReplacement(finding: PiiFinding, partial: boolean): string {
  if (
    partial &&
    (finding.type === 'CREDIT_CARD' || finding.type === 'IBAN_CODE' || finding.type === 'PHONE_NUMBER')
  ) {
    return keepLastFour(finding.text);
  }
  return maskOf(finding.type);
}

/**
 * Replaces PII in `text`. Uses `findings` when given (for example from an earlier detectPii call on
 * the same text), else detects with `options`. Overlapping findings are resolved first, so each
 * character is replaced at most once.
 */
export function maskPii(
  text: string,
  findings?: readonly PiiFinding[],
  options: MaskPiiOptions = {},
): string {
  // A finding that is no range (NaN offsets, an end before its start: a custom scorer's evidence
  // handed on by the guard) moved the cursor back and wrote the text after the masks again, unmasked.
  const list = findings
    ? resolveOverlaps(
        findings.filter((f) => Number.isFinite(f.start) && Number.isFinite(f.end) && f.start <= f.end),
      )
    : detectPii(text, options);
  const replace = options.replacer ?? ((f: PiiFinding) => defaultReplacement(f, options.partial ?? false));
  let out = '';
  let cursor = 0;
  for (const f of list) {
    if (f.start < cursor || f.end > text.length) continue;
    out += text.slice(cursor, f.start) + replace(f);
    cursor = f.end;
  }
  return out + text.slice(cursor);
}

/** The masks `maskPii` writes by default, one per entity type. */
const MASKS = new RegExp(PII_TYPES.map(maskOf).join('|'), 'g');

/**
 * `text` without the masks `maskPii` writes (`<PERSON>`, `<EMAIL_ADDRESS>`):
 * each stands for a value, not for what is asked, and two unrelated
 * questions that both carry one read alike ("I am <PERSON>. Why was my card
 * declined?" and "I am <PERSON>. How do I reset my password?": cosine 0.83
 * for the built-in embedder, over the student's bar to join one topic, 0.47
 * without them).
 */
export function withoutMasks(text: string): string {
  if (!text.includes('<')) return text;
  const out = text.replace(MASKS, ' ');
  // Where a mask went, its neighbours close up: "I am <PERSON>, …" reads "I am, …" (a topic's
  // representative question is shown as read).
  return out === text
    ? text
    : out
        .replace(/ {2,}/g, ' ')
        .replace(/ ([,.;:!?])/g, '$1')
        .trim();
}
