import { sortShort } from '../small-sort.ts';
import type { Evidence, ScoreResult, TextScorer } from '../types.ts';
import { detectPii } from './detect.ts';
import { redactSecret } from './secrets.ts';
import type { PiiFinding } from './types.ts';

/**
 * Stored with every PII score (`evaluations.evaluator_version`), where analysts compare
 * scores only within one version: raise it whenever what the detectors find changes.
 * 1.1.0 (2026-12-06): phone numbers read apart from date-time stamps, epoch times and
 * clock digits; national formats, extensions and JSON phone keys found; a card after a date.
 * 1.1.1: an email address about 240 characters after another one, or with a domain of
 * over 250 characters, found whole.
 * 1.1.2: email addresses with letters beyond ASCII (müller@firma.de, anna@münchen.de) found whole.
 */
export const PII_SCORER_VERSION = 'pii-1.1.2';
export const PII_THRESHOLD = 0.5;

function evidence(f: PiiFinding): Evidence {
  return {
    kind: f.type,
    start: f.start,
    end: f.end,
    text: f.type === 'SECRET' ? redactSecret(f.text) : f.text,
    weight: f.confidence,
  };
}

/** "EMAIL_ADDRESS ×2, PERSON ×1", most frequent type first. */
function explain(findings: PiiFinding[], threshold: number): string {
  const counts = new Map<string, number>();
  for (const f of findings) if (f.confidence >= threshold) counts.set(f.type, (counts.get(f.type) ?? 0) + 1);
  if (counts.size === 0) return findings.length > 0 ? 'only low-confidence candidates' : 'no PII found';
  return sortShort([...counts], (a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([type, n]) => `${type} ×${n}`)
    .join(', ');
}

export function scorePii(text: string, threshold = PII_THRESHOLD): ScoreResult {
  // Candidates far below the threshold are noise; keep those near it as evidence for review.
  const findings = detectPii(text, { minConfidence: 0.3 });
  const score = findings.reduce((max, f) => Math.max(max, f.confidence), 0);
  const flagged = score >= threshold;
  return {
    name: 'pii',
    score,
    label: flagged ? 'pii' : 'no_pii',
    flagged,
    threshold,
    evidence: findings.map(evidence),
    explanation: explain(findings, threshold),
    version: PII_SCORER_VERSION,
  };
}

export const piiScorer: TextScorer = {
  name: 'pii',
  version: PII_SCORER_VERSION,
  threshold: PII_THRESHOLD,
  score: (text: string) => scorePii(text),
};
