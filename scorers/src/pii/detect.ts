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

const overlaps = (a: PiiFinding, b: PiiFinding) => !(a.end <= b.start || a.start >= b.end);

/**
 * Keeps a set of non-overlapping findings, preferring confidence, then priority, then length.
 * Each kept finding paints the cells between the findings' offsets that it spans, so whether
 * a finding overlaps one kept costs its own cells: testing it against every kept finding was
 * quadratic, seconds for the 40,000 addresses of a 300 KB log. One whose end is before its start
 * (no detector makes one) is tested against every kept finding, as before.
 */
export function resolveOverlaps(findings: PiiFinding[]): PiiFinding[] {
  const ranked = [...findings].sort(
    (a, b) =>
      b.confidence - a.confidence ||
      PRIORITY[b.type] - PRIORITY[a.type] ||
      b.end - b.start - (a.end - a.start) ||
      a.start - b.start,
  );
  const offsets = [...new Set(findings.flatMap((f) => [f.start, f.end]))].sort((a, b) => a - b);
  const cellAt = new Map(offsets.map((o, i) => [o, i]));
  // owner[i]: 1 + the index in `kept` of the finding over [offsets[i], offsets[i + 1]), or 0;
  // emptyAt[i]: whether an empty finding at offsets[i] was kept (it splits what spans it).
  const owner = new Int32Array(offsets.length);
  const emptyAt = new Uint8Array(offsets.length);
  const kept: PiiFinding[] = [];
  const inverted: PiiFinding[] = [];
  for (const f of ranked) {
    const from = cellAt.get(f.start) as number;
    const to = cellAt.get(f.end) as number;
    let free: boolean;
    if (!(from <= to)) free = kept.every((k) => !overlaps(f, k));
    else {
      // An empty finding overlaps one that spans both cells around its offset.
      free = from < to || from === 0 || owner[from - 1] === 0 || owner[from - 1] !== owner[from];
      for (let c = from; c < to && free; c++) free = owner[c] === 0 && (c === from || emptyAt[c] === 0);
      free &&= inverted.every((k) => !overlaps(f, k));
    }
    if (!free) continue;
    kept.push(f);
    if (!(from <= to)) inverted.push(f);
    else if (from === to) emptyAt[from] = 1;
    else owner.fill(kept.length, from, to);
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
