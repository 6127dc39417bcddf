import { sortShort } from '../small-sort.ts';
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

const byRank = (a: PiiFinding, b: PiiFinding) =>
  b.confidence - a.confidence ||
  PRIORITY[b.type] - PRIORITY[a.type] ||
  b.end - b.start - (a.end - a.start) ||
  a.start - b.start;
const byValue = (a: number, b: number) => a - b;
const byStart = (a: PiiFinding, b: PiiFinding) => a.start - b.start;

/**
 * Keeps a set of non-overlapping findings, preferring confidence, then priority, then length.
 * Each kept finding paints the cells between the findings' offsets that it spans, so whether
 * a finding overlaps one kept costs its own cells: testing it against every kept finding was
 * quadratic, seconds for the 40,000 addresses of a 300 KB log. One whose end is before its start
 * (no detector makes one) is tested against every kept finding, as before.
 */
export function resolveOverlaps(findings: PiiFinding[]): PiiFinding[] {
  const ranked = sortShort([...findings], byRank);
  // The findings' distinct offsets in order; a cell is found by binary search.
  const all: number[] = [];
  for (const f of findings) all.push(f.start, f.end);
  sortShort(all, byValue);
  const offsets: number[] = [];
  for (const o of all) if (offsets.length === 0 || offsets[offsets.length - 1] !== o) offsets.push(o);
  const cellAt = (offset: number): number => {
    let lo = 0;
    let hi = offsets.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((offsets[mid] as number) < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  // owner[i]: 1 + the index in `kept` of the finding over [offsets[i], offsets[i + 1]), or 0;
  // emptyAt[i]: whether an empty finding at offsets[i] was kept (it splits what spans it).
  const owner = new Int32Array(offsets.length);
  const emptyAt = new Uint8Array(offsets.length);
  const kept: PiiFinding[] = [];
  const inverted: PiiFinding[] = [];
  for (const f of ranked) {
    const from = cellAt(f.start);
    const to = cellAt(f.end);
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
  return sortShort(kept, byStart);
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
