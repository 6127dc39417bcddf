/**
 * How often the coarse pass that dense spaces (an app's own embeddings) use
 * past 2,048 topics keeps the topics the linear scan would pick. Questions of
 * the eval sets are encoded with the Universal Sentence Encoder (512 wide,
 * the closest thing to an app's embeddings that runs here); the last 400 are
 * asked against the others as one-question topics. Counted: questions whose
 * best topic reaches the calibrated merge bar and whose best the pass did not
 * keep, and the same for the best two (a merge candidate lost).
 *
 * Measured 2026-12-04, 5,953 questions (banking77, halueval-qa, toxicity,
 * pii, jailbreak, prompt-injection), baseline cosine 0.202, merge bar 0.481;
 * times are the coarse pass alone (the kept topics are then scored exactly):
 *   heaviest 24, keep 64 (before):           best missed 14 / 361, top two 29 / 324, 342 µs
 *   heaviest 48, keep 128:                   best missed 1 / 361,  top two 4 / 324,  472 µs
 *   heaviest 86 (width / 6), keep 128 (shipped): best missed 0 / 361, top two 0 / 324, 750 µs
 *   heaviest 128, keep 128:                  best missed 0 / 361,  top two 0 / 324,  1,042 µs
 *   the linear scan: 5.0 ms a question.
 *
 * Usage: npx node tools/topics/coarse-recall.ts [eval dir] [--cache <file.f32>]
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CALIBRATED_TOPIC_THRESHOLDS, UseEncoder } from '@oversight/scorers/embed';
import { CentroidIndex } from '../../collector/src/enrich/topics/centroid-index.ts';
import { PREFILTER_KEEP, PREFILTER_SHARE } from '../../collector/src/enrich/topics/clusterer.ts';

const { values, positionals } = parseArgs({ options: { cache: { type: 'string' } }, allowPositionals: true });
const dir = positionals[0] ?? '../shared/eval';
const SETS = ['banking77', 'halueval-qa', 'toxicity', 'pii', 'jailbreak', 'prompt-injection'];
const QUERIES = 400;
const WIDTH = 512;

const texts = [
  ...new Set(
    SETS.flatMap((set) =>
      readFileSync(join(dir, `${set}.dev.jsonl`), 'utf8')
        .trim()
        .split('\n')
        .map((line) => {
          const row = JSON.parse(line) as { text?: string; question?: string };
          return row.text ?? row.question ?? '';
        })
        .filter((t) => t.length > 0 && t.length < 600),
    ),
  ),
];

async function encode(): Promise<Float32Array> {
  if (values.cache && existsSync(values.cache)) {
    const b = readFileSync(values.cache);
    return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  }
  const encoder = new UseEncoder();
  const out = new Float32Array(texts.length * WIDTH);
  for (let i = 0; i < texts.length; i += 256)
    for (const [k, v] of (await encoder.encode(texts.slice(i, i + 256))).entries())
      out.set(v, (i + k) * WIDTH);
  await encoder.close();
  if (values.cache) writeFileSync(values.cache, out);
  return out;
}

const raw = await encode();
const vectors = texts.map((_, i) => {
  const v = Float32Array.from(raw.subarray(i * WIDTH, (i + 1) * WIDTH));
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
});
const dot = (a: Float32Array, b: Float32Array) => {
  let d = 0;
  for (let j = 0; j < WIDTH; j++) d += (a[j] as number) * (b[j] as number);
  return d;
};
const topics = vectors.length - QUERIES;
const index = new CentroidIndex(WIDTH, false, 16);
for (let s = 0; s < topics; s++) index.write(s, vectors[s] as Float32Array, 1);

// The calibrated space's merge bar: its baseline (mean cosine of two questions) lifted by the threshold.
let sum = 0;
for (let i = 0; i < 2_000; i++)
  sum += dot(
    vectors[(i * 7_919) % topics] as Float32Array,
    vectors[(i * 104_729 + 13) % topics] as Float32Array,
  );
const base = sum / 2_000;
const bar = base + (1 - base) * CALIBRATED_TOPIC_THRESHOLDS.merge;
console.log(
  `${texts.length} questions, ${topics} topics; baseline ${base.toFixed(3)}, merge bar ${bar.toFixed(3)}`,
);

let scan = 0;
const ranked = vectors.slice(topics).map((q) => {
  const t = performance.now();
  const sims = vectors.slice(0, topics).map((v, s) => [dot(q, v), s] as const);
  scan += performance.now() - t;
  return sims.sort((a, b) => b[0] - a[0]);
});
console.log(`linear scan: ${((1000 * scan) / QUERIES).toFixed(0)} µs a question`);

const shipped = Math.ceil(WIDTH / PREFILTER_SHARE);
for (const [heavy, keep, label] of [
  [24, 64, 'before'],
  [48, 128, ''],
  [shipped, PREFILTER_KEEP, 'shipped'],
  [128, 128, ''],
] as const) {
  let best = 0;
  let bestMissed = 0;
  let two = 0;
  let twoMissed = 0;
  let ms = 0;
  ranked.forEach((sims, k) => {
    const q = vectors[topics + k] as Float32Array;
    const t = performance.now();
    const dims = [...q.keys()]
      .sort((a, b) => Math.abs(q[b] as number) - Math.abs(q[a] as number))
      .slice(0, heavy);
    const kept = new Set(index.coarse(q, dims, topics, keep));
    ms += performance.now() - t;
    const [first, second] = sims as [readonly [number, number], readonly [number, number]];
    if (first[0] >= bar) {
      best++;
      if (!kept.has(first[1])) bestMissed++;
    }
    if (second[0] >= bar) {
      two++;
      if (!kept.has(first[1]) || !kept.has(second[1])) twoMissed++;
    }
  });
  console.log(
    `heaviest ${heavy}, keep ${keep}${label ? ` (${label})` : ''}: best missed ${bestMissed} / ${best}, top two ${twoMissed} / ${two}, ${((1000 * ms) / QUERIES).toFixed(0)} µs a question`,
  );
}
