/**
 * Dev tool: proof that a speed-up changed nothing. `capture` runs every scorer
 * (and the canonicaliser, the feature hashing and the PII detector underneath)
 * over the eval texts, the benchmark documents and seeded adversarial strings,
 * and writes what they returned, texts included; `compare` replays those texts
 * through the current code and reports every difference. Scores and weights
 * must agree to 1e-12, everything else exactly (offsets, labels, evidence,
 * normal forms, origin maps and hashed feature indices).
 *
 *   npx node tools/src/check-identical.ts capture /tmp/scorers-before.json [eval dir]
 *   npx node tools/src/check-identical.ts compare /tmp/scorers-before.json
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { canonicalize, detectPii, maskPii, scorers } from '@oversight/scorers';
// Internals the package does not export: this dev tool reads them from the sources.
import { textFeatures } from '../../scorers/src/linear/features.ts';
import { decodePayloads } from '../../scorers/src/text/decode-payloads.ts';
import { adversarialTexts, benchDocs, evalTexts } from './corpus.ts';

const TOLERANCE = 1e-12;

function digest(view: ArrayBufferView): string {
  return createHash('sha1')
    .update(new Uint8Array(view.buffer, view.byteOffset, view.byteLength))
    .digest('hex');
}

/** Everything observable about one text, as plain JSON. */
function observe(text: string): unknown {
  const norm = canonicalize(text);
  const features = textFeatures(text);
  return {
    norm: { text: norm.text, origin: digest(norm.origin), sourceLength: norm.sourceLength },
    features: {
      normText: features.norm.text,
      count: features.count,
      words: features.words,
      hashes: digest(features.hashes.subarray(0, features.count)),
    },
    scores: Object.values(scorers).map((s) => s.score(text)),
    pii: detectPii(text),
    masked: maskPii(text),
    payloads: decodePayloads(text),
  };
}

interface Counts {
  numbers: number;
  exactNumbers: number;
  maxDelta: number;
}

/** Differences between `a` and `b` under `path`, numbers within the tolerance. */
function diff(a: unknown, b: unknown, path: string, out: string[], counts: Counts): void {
  if (typeof a === 'number' && typeof b === 'number') {
    counts.numbers++;
    if (Object.is(a, b)) counts.exactNumbers++;
    const delta = Math.abs(a - b);
    if (Number.isFinite(delta)) counts.maxDelta = Math.max(counts.maxDelta, delta);
    if (!(delta <= TOLERANCE) && !Object.is(a, b)) out.push(`${path}: ${a} → ${b}`);
    return;
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    if (a !== b) out.push(`${path}: ${JSON.stringify(a)} → ${JSON.stringify(b)}`);
    return;
  }
  if (Array.isArray(a) !== Array.isArray(b)) {
    out.push(`${path}: array vs object`);
    return;
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    diff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, out, counts);
  }
}

const [mode, file, dir = '/work/shared/eval'] = process.argv.slice(2);
if ((mode !== 'capture' && mode !== 'compare') || !file) {
  console.error('usage: check-identical.ts capture|compare <file.json> [eval dir]');
  process.exit(2);
}

if (mode === 'capture') {
  const texts = [...evalTexts(dir), ...benchDocs(dir), ...adversarialTexts(3000)];
  const results = texts.map(observe);
  writeFileSync(file, JSON.stringify({ texts, results }));
  console.log(`captured ${texts.length} texts to ${file}`);
} else {
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { texts: string[]; results: unknown[] };
  const counts: Counts = { numbers: 0, exactNumbers: 0, maxDelta: 0 };
  let differing = 0;
  saved.texts.forEach((text, i) => {
    const out: string[] = [];
    diff(saved.results[i], JSON.parse(JSON.stringify(observe(text))), '', out, counts);
    if (out.length === 0) return;
    differing++;
    if (differing <= 10)
      console.log(`text ${i} ${JSON.stringify(text.slice(0, 80))}\n  ${out.slice(0, 8).join('\n  ')}`);
  });
  console.log(
    `${saved.texts.length} texts, ${differing} differ; ${counts.numbers} numbers, ${counts.exactNumbers} bit-identical, max |Δ| ${counts.maxDelta}`,
  );
  process.exit(differing === 0 ? 0 : 1);
}
