/**
 * The projected index (projected-index.ts) on an app's kind of embeddings:
 * what its exact search costs against the linear scan, and how much of the
 * space it has to score. Questions of the eval sets are encoded with the
 * Universal Sentence Encoder (512 wide, the closest thing to an app's
 * embeddings that runs here); the last 400 are asked against the others as
 * one-question topics, with the calibrated merge bar as the floor, as the
 * clusterer asks when it looks for the best and the runner-up.
 *
 * Measured 2026-12-04, 5,953 questions (banking77, halueval-qa, toxicity,
 * pii, jailbreak, prompt-injection), baseline cosine 0.202, merge bar 0.481:
 *   linear scan 3,450 µs a question; projected index (head 96) 484 µs, 45.5
 *   topics listed and 44.1 scored of 5,553, best and runner-up the scan's for
 *   all 400; the first search's fit 676 ms.
 * Before it, an approximate coarse pass (the question's 24 heaviest
 * dimensions, 64 topics kept) lost the scan's best for 14 of the 361
 * questions whose best reached the merge bar, and the best or runner-up for
 * 29 of 324.
 *
 * Usage: npx node tools/topics/dense-index.ts [eval dir] [--cache <file.f32>]
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CALIBRATED_TOPIC_THRESHOLDS, UseEncoder } from '@oversight/scorers/embed';
import { ProjectedIndex } from '../../collector/src/enrich/topics/projected-index.ts';

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

// The calibrated space's merge bar: its baseline (mean cosine of two questions) lifted by the threshold.
let sum = 0;
for (let i = 0; i < 2_000; i++)
  sum += dot(
    vectors[(i * 7_919) % topics] as Float32Array,
    vectors[(i * 104_729 + 13) % topics] as Float32Array,
  );
const base = sum / 2_000;
const floor = base + (1 - base) * CALIBRATED_TOPIC_THRESHOLDS.merge;
console.log(
  `${texts.length} questions, ${topics} topics; baseline ${base.toFixed(3)}, merge bar ${floor.toFixed(3)}`,
);

/** The best two at or above the floor (ties to the lower slot), as the clusterer keeps them. */
type Top = { best: number; bestSim: number; second: number; secondSim: number };
const consider = (top: Top, slot: number, sim: number) => {
  if (sim < floor) return;
  if (sim > top.bestSim) {
    top.second = top.best;
    top.secondSim = top.bestSim;
    top.best = slot;
    top.bestSim = sim;
  } else if (sim > top.secondSim) {
    top.second = slot;
    top.secondSim = sim;
  }
};
const empty = (): Top => ({ best: -1, bestSim: -Infinity, second: -1, secondSim: -Infinity });

let scanMs = 0;
const truth = vectors.slice(topics).map((q) => {
  const t = performance.now();
  const top = empty();
  for (let s = 0; s < topics; s++) consider(top, s, dot(q, vectors[s] as Float32Array));
  scanMs += performance.now() - t;
  return top;
});

const index = new ProjectedIndex(WIDTH, (slot) => vectors[slot]);
for (let s = 0; s < topics; s++) index.write(s, vectors[s] as Float32Array, 1);
let fitMs = performance.now();
index.candidates(vectors[topics] as Float32Array, floor, topics, (s) =>
  dot(vectors[topics] as Float32Array, vectors[s] as Float32Array),
);
fitMs = performance.now() - fitMs;

let searchMs = 0;
let listed = 0;
let scored = 0;
let wrong = 0;
truth.forEach((want, k) => {
  const q = vectors[topics + k] as Float32Array;
  const t = performance.now();
  const n = index.candidates(q, floor, topics, (s) => dot(q, vectors[s] as Float32Array));
  const top = empty();
  for (let i = 0; i < n; i++) {
    if (index.reach(i) < Math.max(top.secondSim, floor)) break;
    const s = index.listed[i] as number;
    scored++;
    consider(top, s, dot(q, vectors[s] as Float32Array));
  }
  searchMs += performance.now() - t;
  listed += n;
  if (top.best !== want.best || top.second !== want.second) wrong++;
});
const per = (ms: number) => `${((1000 * ms) / QUERIES).toFixed(0)} µs`;
console.log(`linear scan: ${per(scanMs)} a question`);
console.log(
  `projected index (head ${index.head}): ${per(searchMs)} a question; listed ${(listed / QUERIES).toFixed(1)}, scored ${(scored / QUERIES).toFixed(1)} of ${topics}; best or runner-up unlike the scan's: ${wrong} of ${QUERIES}; the first search's fit: ${fitMs.toFixed(0)} ms`,
);
