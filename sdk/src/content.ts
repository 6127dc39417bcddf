import { OVERSIGHT_CONTENT_WITHHELD as WITHHELD } from '@oversight/conventions/attributes';
import type { Evidence, TextScorer } from '@oversight/scorers';
import { diagnoseOnce, errorName } from './safe.ts';
import { loadScorers } from './scorers-loader.ts';

/**
 * What the SDK does with prompt and completion text. Capture is on by default
 * (as in OpenLLMetry and the Vercel AI SDK), because the collector's safety and
 * groundedness scoring needs the text; every captured string passes through
 * `redact`, then the optional PII masker, then the size cap, before it is set
 * on a span, so nothing unmasked ever reaches the exporter.
 */
export interface ContentOptions {
  /** Record prompts and completions. Default true; env `OVERSIGHT_CAPTURE_CONTENT=false` turns it off. */
  captureContent?: boolean | undefined;
  /** Longest text part kept, in characters; longer ones are cut and the span marked. Default 32,000. */
  maxContentLength?: number | undefined;
  /** Runs on every captured text before export; return the text to keep. */
  redact?: ((text: string) => string) | undefined;
  /** Mask emails, phone numbers, card numbers, … with the scorers package's PII scorer. Default false. */
  maskPii?: boolean | undefined;
}

export const DEFAULT_MAX_CONTENT_LENGTH = 32_000;
/** Longer than any one item the masker replaces (an email, a card, an address line). */
const ITEM_MAX = 128;
/**
 * Read past the cap: an item the cap would split is seen whole, and what
 * the masker shrinks (a tag shorter than what it replaced) still
 * leaves the cap's worth before the end the slice may have split.
 */
const CUT_MARGIN = 2 * ITEM_MAX;

type Masker = (text: string) => string;

export class ContentPolicy {
  readonly capture: boolean;
  readonly maxLength: number;
  /** No redaction, no masking, nothing withheld: text under the cap is exported as it is. */
  readonly passthrough: boolean;
  readonly #redact: ((text: string) => string) | undefined;
  readonly #mask: Masker | undefined;
  /** When masking was asked for but no masker loads, text is withheld rather than leaked. */
  readonly #withhold: boolean;

  constructor(options: ContentOptions = {}) {
    this.capture = options.captureContent ?? true;
    this.maxLength = Math.max(1, Math.floor(options.maxContentLength ?? DEFAULT_MAX_CONTENT_LENGTH));
    this.#redact = options.redact;
    this.#mask = options.maskPii ? loadPiiMasker() : undefined;
    this.#withhold = Boolean(options.maskPii) && !this.#mask;
    this.passthrough = !this.#redact && !this.#mask && !this.#withhold;
  }

  /** Text as it may be exported, and whether it was cut. Never throws. */
  text(raw: string): { text: string; truncated: boolean } {
    if (this.#withhold) return { text: WITHHELD, truncated: false };
    let text = raw;
    // redact() sees the whole text: the app's rule may need all of it (a secret block
    // whose end lies past the cap, a JSON document), and what it keeps is its call.
    if (this.#redact) {
      try {
        const out = this.#redact(text);
        text = typeof out === 'string' ? out : WITHHELD;
      } catch (error) {
        diagnoseOnce('redact', `redact() threw ${errorName(error)}; content withheld`);
        return { text: WITHHELD, truncated: false };
      }
    }
    // What lies past the cap is thrown away: cut it before the masker reads it (its
    // cost grows faster than the text, ≈ 0.3 s for 200k characters on the request
    // path). The margin lets it see whole an item the cut would split; the final cut
    // then leaves out the margin's unread end.
    const window = this.maxLength + CUT_MARGIN;
    const sliced = this.#mask !== undefined && text.length > window;
    if (sliced) text = text.slice(0, window);
    if (this.#mask) {
      try {
        text = this.#mask(text);
      } catch (error) {
        diagnoseOnce('mask', `PII masker threw ${errorName(error)}; content withheld`);
        return { text: WITHHELD, truncated: false };
      }
    }
    // A sliced text may end in an item the slice split, unrecognised: never export that end.
    const limit = sliced ? Math.max(0, Math.min(this.maxLength, text.length - ITEM_MAX)) : this.maxLength;
    if (text.length > limit) return { text: text.slice(0, limit), truncated: true };
    return { text, truncated: false };
  }
}

/** Content options from `OVERSIGHT_CAPTURE_CONTENT` and `OVERSIGHT_MAX_CONTENT_LENGTH` / `OVERSIGHT_MASK_PII`. */
export function contentOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ContentOptions {
  const out: ContentOptions = {};
  const capture = parseBool(env.OVERSIGHT_CAPTURE_CONTENT);
  if (capture !== undefined) out.captureContent = capture;
  const mask = parseBool(env.OVERSIGHT_MASK_PII);
  if (mask !== undefined) out.maskPii = mask;
  const max = Number(env.OVERSIGHT_MAX_CONTENT_LENGTH);
  if (env.OVERSIGHT_MAX_CONTENT_LENGTH && Number.isFinite(max) && max > 0) out.maxContentLength = max;
  return out;
}

export function parseBool(value: string | undefined): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  return undefined;
}

/**
 * Replaces each located evidence range with `render(kind)`. Overlapping ranges
 * are masked as their union under the first one's kind: skipping the later
 * range would leave its tail in clear.
 */
export function maskRanges(
  text: string,
  evidence: readonly Evidence[],
  render: (kind: string) => string,
): string {
  const ranges = evidence
    .filter((e) => e.start !== undefined && e.end !== undefined && (e.end as number) > (e.start as number))
    .map((e) => ({ kind: e.kind, start: e.start as number, end: e.end as number }))
    .sort((a, b) => a.start - b.start);
  const merged: { kind: string; start: number; end: number }[] = [];
  for (const r of ranges) {
    const last = merged.at(-1);
    if (last && r.start < last.end) last.end = Math.max(last.end, r.end);
    else merged.push({ ...r });
  }
  let out = '';
  let at = 0;
  for (const r of merged) {
    out += `${text.slice(at, r.start)}${render(r.kind)}`;
    at = r.end;
  }
  return out + text.slice(at);
}

/** Replaces each piece of PII evidence with its kind, e.g. `[EMAIL_ADDRESS]`. */
export function maskWith(scorer: TextScorer): Masker {
  return (text) => maskRanges(text, scorer.score(text).evidence, (kind) => `[${kind}]`);
}

function loadPiiMasker(): Masker | undefined {
  try {
    return maskWith(loadScorers().piiScorer);
  } catch (error) {
    diagnoseOnce('pii-load', `PII masking unavailable (${errorName(error)}); content withheld`);
    return undefined;
  }
}
