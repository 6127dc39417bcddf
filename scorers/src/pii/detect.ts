import { detectAddresses } from './addresses.ts';
import { detectPersons } from './names.ts';
import { detectSecrets } from './secrets.ts';
import { STRUCTURED_DETECTORS } from './structured.ts';
import type { Detector, DetectPiiOptions, PiiFinding, PiiType } from './types.ts';

const DETECTORS: ReadonlyArray<readonly [PiiType, Detector]> = [
  ['SECRET', detectSecrets],
  ...STRUCTURED_DETECTORS,
  ['STREET_ADDRESS', detectAddresses],
  ['PERSON', detectPersons],
];

// When spans overlap the more certain one wins; validated types beat guesses at equal confidence.
const PRIORITY: Record<PiiType, number> = {
  SECRET: 9,
  IBAN_CODE: 8,
  CREDIT_CARD: 7,
  EMAIL_ADDRESS: 6,
  US_SSN: 5,
  IP_ADDRESS: 4,
  US_DRIVER_LICENSE: 3,
  PHONE_NUMBER: 2,
  STREET_ADDRESS: 1,
  PERSON: 0,
};

/** Keeps a set of non-overlapping findings, preferring confidence, then priority, then length. */
export function resolveOverlaps(findings: PiiFinding[]): PiiFinding[] {
  const ranked = [...findings].sort(
    (a, b) =>
      b.confidence - a.confidence ||
      PRIORITY[b.type] - PRIORITY[a.type] ||
      b.end - b.start - (a.end - a.start) ||
      a.start - b.start,
  );
  const kept: PiiFinding[] = [];
  for (const f of ranked) {
    if (kept.every((k) => f.end <= k.start || f.start >= k.end)) kept.push(f);
  }
  return kept.sort((a, b) => a.start - b.start);
}

/**
 * Finds PII in `text`: validated patterns (checksums, ranges), secrets, and names and street
 * addresses from gazetteers plus grammar. Pure and synchronous; returns non-overlapping findings
 * in text order.
 */
export function detectPii(text: string, options: DetectPiiOptions = {}): PiiFinding[] {
  const wanted = options.types ? new Set(options.types) : undefined;
  const min = options.minConfidence ?? 0;
  const raw: PiiFinding[] = [];
  for (const [type, detect] of DETECTORS) {
    if (!wanted || wanted.has(type)) detect(text, raw);
  }
  return resolveOverlaps(raw.filter((f) => f.confidence >= min && (!wanted || wanted.has(f.type))));
}
