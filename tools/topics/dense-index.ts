/**
 * The topic indexes on dense embeddings: what their exact searches cost
 * against the linear scan, and how much of the space they score. Questions
 * of the eval sets are encoded with the Universal Sentence Encoder (512
 * wide, the closest thing to an app's embeddings that runs here); the last
 * 400 are asked against the others as one-question topics, at the merge bar,
 * as the clusterer asks when it looks for the best and the runner-up:
 * - as an app's own embeddings (a calibrated space), through the projected
 *   index (projected-index.ts);
 * - as the `use` embedder's space (hashed features, then the same vectors),
 *   through the inverted index with the dense part as columns (centroid-index.ts).
 *
 * Measured 2026-12-04, 5,953 questions (banking77, halueval-qa, toxicity,
 * pii, jailbreak, prompt-injection):
 *   app embeddings (baseline 0.202, merge bar 0.481): the scan 3,376 µs a
 *   question; the projected index 518 µs, 45.5 listed and 44.1 scored of
 *   5,553, best and runner-up the scan's for all 400; its fit 618 ms in
 *   one search. Since the fit runs a step a search (same day, later): 221
 *   searches and 844 ms for the fit and those searches together, the rest
 *   as before (527 µs, 45.5 listed, all 400 the scan's).
 *   the use embedder's space (1024 hashed + 512 dense, merge bar 0.23): the
 *   scan 10,192 µs; the inverted index 2,466 µs, 105 listed, 89 scored, all
 *   400 the scan's.
 * Before, an approximate coarse pass (the question's 24 heaviest
 * dimensions, 64 topics kept) served both past 2,048 topics: for the app
 * space it lost the scan's best for 14 of the 361 questions whose best
 * reached the merge bar, and the best or runner-up for 29 of 324.
 *
 * Usage: npx node tools/topics/dense-index.ts [eval dir] [--cache <file.f32>]
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  builtinHashedWidth,
  CALIBRATED_TOPIC_THRESHOLDS,
  USE_TOPIC_THRESHOLDS,
  UseEmbedder,
  UseEncoder,
} from '@oversight/scorers/embed';
import { CentroidIndex } from '../../collector/src/enrich/topics/centroid-index.ts';
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
const unit = (v: Float32Array) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const vectors = texts.map((_, i) => unit(Float32Array.from(raw.subarray(i * WIDTH, (i + 1) * WIDTH))));
const dot = (a: Float32Array, b: Float32Array) => {
  let d = 0;
  for (let j = 0; j < a.length; j++) d += (a[j] as number) * (b[j] as number);
  return d;
};
const topics = vectors.length - QUERIES;

/** The best two at or above the floor (ties to the lower slot), as the clusterer keeps them. */
type Top = { best: number; bestSim: number; second: number; secondSim: number };
const consider = (top: Top, floor: number, slot: number, sim: number) => {
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
const per = (ms: number) => `${((1000 * ms) / QUERIES).toFixed(0)} µs`;

interface Index {
  search(q: Float32Array, exact: (slot: number) => number): number;
  listed: Int32Array;
  reach(k: number): number;
  /** True while a fit runs (the projected index carries it on a step a search). */
  fitting?: () => boolean;
}

/**
 * The last QUERIES vectors asked against the others as one-question topics,
 * through the linear scan and through `index` (its first searches, which may
 * fit it, timed apart).
 */
function compare(label: string, vecs: Float32Array[], floor: number, index: Index) {
  let scanMs = 0;
  const truth = vecs.slice(topics).map((q) => {
    const t = performance.now();
    const top = empty();
    for (let s = 0; s < topics; s++) consider(top, floor, s, dot(q, vecs[s] as Float32Array));
    scanMs += performance.now() - t;
    return top;
  });
  const first = vecs[topics] as Float32Array;
  let firstMs = performance.now();
  let fitSearches = 0;
  do {
    index.search(first, (s) => dot(first, vecs[s] as Float32Array));
    fitSearches++;
  } while (index.fitting?.());
  firstMs = performance.now() - firstMs;
  let searchMs = 0;
  let listed = 0;
  let scored = 0;
  let wrong = 0;
  truth.forEach((want, k) => {
    const q = vecs[topics + k] as Float32Array;
    const t = performance.now();
    const n = index.search(q, (s) => dot(q, vecs[s] as Float32Array));
    const top = empty();
    for (let i = 0; i < n; i++) {
      if (index.reach(i) < Math.max(top.secondSim, floor)) break;
      const s = index.listed[i] as number;
      scored++;
      consider(top, floor, s, dot(q, vecs[s] as Float32Array));
    }
    searchMs += performance.now() - t;
    listed += n;
    if (top.best !== want.best || top.second !== want.second) wrong++;
  });
  console.log(
    `${label}: the scan ${per(scanMs)} a question; the index ${per(searchMs)}, listed ${(listed / QUERIES).toFixed(1)}, scored ${(scored / QUERIES).toFixed(1)} of ${topics}; best or runner-up unlike the scan's: ${wrong} of ${QUERIES}; the first search (and the fit, ${fitSearches} searches) ${firstMs.toFixed(0)} ms`,
  );
}

// As an app's own embeddings: a calibrated space, through the projected index.
let sum = 0;
for (let i = 0; i < 2_000; i++)
  sum += dot(
    vectors[(i * 7_919) % topics] as Float32Array,
    vectors[(i * 104_729 + 13) % topics] as Float32Array,
  );
const base = sum / 2_000;
const merge = base + (1 - base) * CALIBRATED_TOPIC_THRESHOLDS.merge;
console.log(
  `${texts.length} questions, ${topics} topics; app space baseline ${base.toFixed(3)}, merge bar ${merge.toFixed(3)}`,
);
const projected = new ProjectedIndex(WIDTH, (slot) => vectors[slot]);
for (let s = 0; s < topics; s++) projected.write(s, vectors[s] as Float32Array, 1);
compare(`app embeddings, projected index (head ${projected.head})`, vectors, merge, {
  search: (q, exact) => projected.candidates(q, merge, topics, exact),
  get listed() {
    return projected.listed;
  },
  reach: (k) => projected.reach(k),
  fitting: () => projected.fitting,
});

// As the `use` embedder's space: hashed features, then the same USE vectors,
// through the inverted index with the dense part as columns.
const use = new UseEmbedder();
for (const t of texts) use.observe(t);
const hybrid = texts.map((t, i) => use.fromParts(t, raw.subarray(i * WIDTH, (i + 1) * WIDTH), false));
const hashed = builtinHashedWidth(use.id) as number;
await use.close();
const width = (hybrid[0] as Float32Array).length;
const inverted = new CentroidIndex(width, topics, hashed);
for (let s = 0; s < topics; s++)
  inverted.write(s, hybrid[s] as Float32Array, dot(hybrid[s] as Float32Array, hybrid[s] as Float32Array));
compare(
  `the use embedder's space (${hashed} hashed + ${width - hashed} dense), inverted index`,
  hybrid,
  USE_TOPIC_THRESHOLDS.merge,
  {
    search: (q, exact) => {
      const nz: number[] = [];
      for (let j = 0; j < q.length; j++) if (q[j] !== 0) nz.push(j);
      return inverted.candidates(q, nz, USE_TOPIC_THRESHOLDS.merge, topics, exact);
    },
    get listed() {
      return inverted.listed;
    },
    reach: (k) => inverted.reach(k),
  },
);
