/**
 * Step 2b of the distillation: trains the deep averaging network of
 * scorers/src/embed/student.ts to imitate the Universal Sentence Encoder on
 * encoded corpora (wordnet-corpus.ts: real English; encode-corpus.ts:
 * synthetic requests). Hand-written Adam, no framework.
 *
 * Targets: the corpora's encoder vectors, centred and projected on their top
 * K principal directions (as fit-word-table.ts). Word rows start from the
 * word's own single-word encoding projected the same way (embed-vocabulary.ts),
 * so the words the corpus never shows still point somewhere sensible, and are
 * pulled back towards that start (L2, `DECAY`); each row's weight in the
 * average is learned too, from the SIF weight a / (a + p(word)). The linear
 * path starts as the identity, the tanh layer at zero output: training starts
 * from a static word table and learns the interactions on top. Loss: 1 −
 * cosine to the target. A seeded random 3% of the sentences is held out.
 *
 * Usage: npx node tools/embed/fit-student.ts <vocab.f32> <out.bin> <corpus.f32>...
 * Env: K (output components, 96), INPUT (row width, K), HIDDEN (128),
 *      BUCKETS (pair rows, 0), EPOCHS (6), LR (0.002), STOP (stop-word factor, 1),
 *      SIF (1e-3), PAIRGATE (0.3), DECAY (1e-4), MINCOUNT (new words, 3), BATCH (32).
 *
 * Shipped scorers/src/models/student-en.bin (2026-12-03): HIDDEN 128, no pair
 * rows, 6 epochs on 125,000 sentences: WordNet 3.1 glosses and examples
 * (wordnet-corpus.ts, first 100,000 of its seeded order: /tmp wn.f32 0–56,320
 * then wn2.f32 --from=56320) and 25,000 WordNet requests (--questions);
 * 48,946 words × 96, 5.4 MiB. Held-out cosine to the encoder 0.849 (the
 * start, a static table of single-word encodings, 0.594). Cost ≈ 50–70 µs a
 * question over the hashed part's 10–13 µs (best of 8 passes over 3,000
 * questions at load ~2.5 on 2 cores; the encoder: ≈ 10 ms); bench/sections/
 * topics.ts prints it next to the hashed baseline.
 *
 * Judged by tools/embed/student-harness.ts on banking77.dev (micro-topics +
 * average linkage; share and assign picked on the even intents, grid share
 * 0.4/0.5/0.6 × assign 0.5–0.65; NMI/ARI at 2×, 1.6×, 1.3×, 1× the intents):
 *                         all rows: 154        123        100        77     | held (odd): 76  61  49  38            | gap AUROC
 *   hashed only (assign 0.4)  0.674/0.310 0.659/0.296 0.644/0.284 0.622/0.244 | 0.736/0.467 0.720/0.425 .713/.425 .677/.359 | 0.775
 *   + f96 table (synthetic)   0.682/0.311 0.667/0.285 0.651/0.246 0.624/0.223 | 0.743/0.485 0.724/0.438 .708/.408 .704/.402 | 0.775
 *   + this student            0.717/0.352 0.706/0.327 0.696/0.308 0.674/0.278 | 0.761/0.489 0.753/0.467 .751/.464 .727/.434 | 0.782
 *   + real USE (ceiling; share 0.5 assign 0.4)
 *                             0.746/0.400 0.733/0.373 0.727/0.362 0.709/0.335 | 0.781/0.529 0.775/0.525 .747/.455 .728/.431 | –
 * (student: share 0.4 assign 0.65, the grid's edge, 1,889 micro-topics for
 * 3,000 questions; capped at assign 0.55 (1,342 micro-topics): 0.707/0.329
 * 0.699/0.309 | held 0.756/0.491 0.744/0.460; f96 capped 0.681/0.304
 * 0.669/0.284. Hashed picked assign 0.4 on a 0.4–0.55 grid.)
 * Run-to-run spread is the real uncertainty. Five students trained on the
 * WordNet + requests corpus (same protocol, tune score = mean NMI + ARI at
 * the tune half's 2× and 1.6× cuts):
 *   56k+25k, 5 epochs        tune 1.115  all 154: 0.708/0.334  held 76: 0.757/0.485
 *   56k+25k, pairs 8192      tune 1.110           0.703/0.328           0.775/0.529
 *   125k, 6 epochs (SHIPPED) tune 1.110           0.717/0.352           0.761/0.489
 *   125k, pairs 8192         tune 1.112           0.704/0.320           0.736/0.431
 *   125k, 10 epochs          tune 1.123           0.696/0.303           0.738/0.442
 *   mean of the five                              0.706/0.327           0.753/0.475
 * All five are within 0.017 on the tune half. The shipped one is the
 * trainer's default run (whole corpus, 6 epochs, no pairs: smaller and faster
 * than pairs), not the tune-half winner, and was committed before the
 * 10-epoch run was judged; picking by the tune half would have shipped that
 * run, which does worst on held and all. So expect the mean row on unseen
 * data rather than the shipped row: +0.024 NMI over the f96 table at 154
 * topics, +0.010 on the held half.
 * Also tried, same protocol: pair rows (BUCKETS 8192: tune tie, held worse,
 * +0.8 MiB: all 0.704/0.320 at 154); HIDDEN 256 and 512 (no better held-out
 * cosine than 128, at 2–4× the cost); WordNet sentences only, without the
 * requests (48k: all 0.686–0.694 at 154, share 0.5 assign 0.4); the linear word table (fit-word-table.ts) refitted on
 * 36k real sentences: worse than the synthetic f96 (0.657/0.273 at 154,
 * share 0.5 assign 0.4); the encoder projected on the corpus's top 96
 * components loses little (0.739/0.391 at 154), so the gap left is the
 * student's fidelity on question text, not the width.
 *
 * More requests, tried 2026-12-04 after extend-vocabulary.ts (each student
 * extended the same way, then judged online through the clusterer: assign
 * 0.4–0.65 × merge 0.12–0.26 picked on the tune half by NMI + ARI at ≤ 2×
 * the tune intents, tools/topics/experiment.ts's protocol):
 *                                      tune score   held          all
 *   SHIPPED, extended                  1.131        0.753/0.485   0.700/0.332 (140)
 *   60k WordNet + all 54,962 requests  1.117        0.749/0.502   0.664/0.296 (98)
 *   60k WordNet + 25k requests         1.128        0.754/0.500   0.682/0.317 (106)
 * Twice the requests raised the held-out cosine (0.8555 against 0.8447 on
 * their own mixes) but not the clustering: the shipped student stays.
 * Narrower outputs (the index's cost per topic follows K), on the 60k + 25k
 * mix, same protocol: K 64 tune 1.115 (held 0.745/0.482), K 48 1.109
 * (0.741/0.492), against 1.128 at 96. Weighting the student's average by
 * the project's own IDF (idf^0.5, idf^1) instead of the learnt gates alone:
 * tune 1.123 and 1.080 against 1.131. Averaging students of one target
 * basis (60k + 25k mix, seeds 777 / 101 / 202, each extended; the student's
 * sure bar 3×): alone 1.136 / 1.129 / 1.140, two 1.134, three 1.129; the
 * seeds differ as much as the mixes do, and averaging gains nothing. None shipped.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import {
  cosine,
  encodeStudent,
  isStopword,
  SentenceStudent,
  type StudentToken,
  stem,
  words,
} from '@oversight/scorers/embed';
import { DanTrainer } from './dan.ts';
import { meanOf, principalDirections, projectRow, readCorpora, rng, shuffleInPlace } from './shared.ts';

const [vocabFile, output, ...corpora] = process.argv.slice(2);
if (!vocabFile || !output || corpora.length === 0)
  throw new Error('usage: fit-student.ts <vocab.f32> <out.bin> <corpus.f32>...');
const env = (name: string, d: number) => Number(process.env[name] ?? d);
const K = env('K', 96);
// Input width of the word rows (≤ K): the rows dominate the file size.
const E = Math.min(env('INPUT', K), K);
const H = env('HIDDEN', 128);
const B = env('BUCKETS', 0);
const EPOCHS = env('EPOCHS', 6);
const LR = env('LR', 0.002);
const STOP = env('STOP', 1);
const SIF = env('SIF', 1e-3);
const PAIRGATE = env('PAIRGATE', 0.3);
const DECAY = env('DECAY', 1e-4);
const MINCOUNT = env('MINCOUNT', 3);
const BATCH = env('BATCH', 32);
const D = 512;
const tokenizer = { words, stem, isStopword };

const floats = (f: string) => new Float32Array(new Uint8Array(readFileSync(f)).buffer);
const vocab = readFileSync(`${vocabFile}.words.txt`, 'utf8').split('\n').filter(Boolean);
const wordVecs = floats(vocabFile);
const { sentences, vectors: sentVecs } = readCorpora(corpora);
const S = sentences.length;
// Seeded shuffle of the sentence order (the corpora are concatenated).
const r = rng(777);
const order = shuffleInPlace(
  Array.from({ length: S }, (_, i) => i),
  r,
);
const nVal = Math.floor(S * 0.03);
const trainIdx = order.slice(0, S - nVal);
const valIdx = order.slice(S - nVal);

const { mean: muS, basis, kept } = principalDirections(sentVecs, S, D, K);
console.log(
  `${S} sentences (${nVal} held out); ${K} components keep ${(100 * kept).toFixed(1)}% of variance`,
);
function rms(x: Float32Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += (x[i] as number) ** 2;
  return Math.sqrt(s / n);
}
const project = (x: Float32Array, i: number, mu: Float64Array, out: Float32Array, o: number, comps = K) =>
  projectRow(x, i, D, mu, basis, comps, out, o);
const Y = new Float32Array(S * K);
for (let i = 0; i < S; i++) project(sentVecs, i, muS, Y, i * K);
// Unit spread per component, so Adam's step sizes mean the same for every part.
const yScale = 1 / rms(Y, Y.length);
for (let i = 0; i < Y.length; i++) Y[i] = (Y[i] as number) * yScale;

// Vocabulary: the general word list (with a prior), then corpus words seen MINCOUNT+ times.
const counts = new Map<string, number>();
for (const s of sentences) for (const w of words(s)) counts.set(w, (counts.get(w) ?? 0) + 1);
const known = new Set(vocab);
const extra = [...counts]
  .filter(([w, n]) => n >= MINCOUNT && !known.has(w) && !known.has(stem(w)))
  .map(([w]) => w);
const allWords = [...vocab, ...extra];
const V = allWords.length;
const N = V + B;
const muW = meanOf(wordVecs, vocab.length, D);
const prior = new Float32Array(N * E);
for (let i = 0; i < vocab.length; i++) project(wordVecs, i, muW, prior, i * E, E);
const priorScale = rms(Y, Y.length) / rms(prior, vocab.length * E);
for (let i = 0; i < vocab.length * E; i++) prior[i] = (prior[i] as number) * priorScale;
console.log(`${V} words (${extra.length} from the corpus without a prior), ${B} pair buckets, hidden ${H}`);

// Parameters.
const rows = Float32Array.from(prior);
const w1 = new Float32Array(H * E);
for (let i = 0; i < w1.length; i++) w1[i] = ((r() * 2 - 1) * Math.sqrt(3)) / Math.sqrt(E);
const b1 = new Float32Array(H);
const w2 = new Float32Array(K * H);
const b2 = new Float32Array(K);
const p = new Float32Array(K * E);
for (let i = 0; i < E; i++) p[i * E + i] = 1;
// Log-gates: a row's weight in the average is exp(g). Words start at the SIF
// weight a / (a + p(word)) (frequent words count less), pairs at PAIRGATE.
const logGate = new Float32Array(N);

// A student with unit gates, for the tokenization (the same code path as run time).
const shape = { words: V, input: E, hidden: H, output: K, buckets: B, stopWeight: STOP };
const snapshot = (gates: Float32Array) =>
  encodeStudent({ shape, words: allWords, gates, rows, w1, b1, w2, b2, p });
const student0 = SentenceStudent.parse(snapshot(new Float32Array(N).fill(1)), 'initial');
const toks = sentences.map((s) => student0.tokens(s, tokenizer));
{
  const freq = new Float64Array(N);
  let totalTokens = 0;
  for (const ts of toks)
    for (const t of ts)
      if (t.row < V) {
        freq[t.row] = (freq[t.row] as number) + 1;
        totalTokens++;
      }
  for (let i = 0; i < N; i++)
    logGate[i] = i < V ? Math.log(SIF / (SIF + (freq[i] as number) / totalTokens)) : Math.log(PAIRGATE);
}
// Rows and gates are pulled back towards these starts.
const dan = new DanTrainer({ input: E, hidden: H, output: K }, { rows, logGate, w1, b1, w2, b2, p }, DECAY);

const y = new Float32Array(K);
const gy = new Float32Array(K);
function cosineToTarget(i: number): { cos: number; ny: number; nt: number; dot: number } {
  let dot = 0;
  let ny = 0;
  let nt = 0;
  for (let c = 0; c < K; c++) {
    const t = Y[i * K + c] as number;
    dot += (y[c] as number) * t;
    ny += (y[c] as number) ** 2;
    nt += t * t;
  }
  ny = Math.sqrt(ny);
  nt = Math.sqrt(nt);
  return { cos: ny && nt ? dot / (ny * nt) : 0, ny, nt, dot };
}
function validate(): number {
  let s = 0;
  for (const i of valIdx) {
    dan.forward(toks[i] as StudentToken[], y);
    s += cosineToTarget(i).cos;
  }
  return s / valIdx.length;
}
console.log(`start: held-out cosine ${validate().toFixed(4)} (the static word table alone)`);

const t0 = performance.now();
for (let epoch = 0; epoch < EPOCHS; epoch++) {
  shuffleInPlace(trainIdx, r);
  const lr = LR * (epoch === EPOCHS - 1 && EPOCHS > 1 ? 0.3 : 1);
  let lossSum = 0;
  for (let start = 0; start < trainIdx.length; start += BATCH) {
    const batch = trainIdx.slice(start, start + BATCH);
    for (const i of batch) {
      const ts = toks[i] as StudentToken[];
      const tw = dan.forward(ts, y);
      if (tw === 0) continue;
      const { cos, ny, nt } = cosineToTarget(i);
      if (ny === 0 || nt === 0) continue;
      lossSum += 1 - cos;
      // d(1 − cos)/dy = −(t/(|y||t|) − cos · y/|y|²)
      for (let c = 0; c < K; c++)
        gy[c] = -((Y[i * K + c] as number) / (ny * nt) - (cos * (y[c] as number)) / (ny * ny)) / batch.length;
      dan.backward(ts, tw, gy);
    }
    dan.step(lr);
  }
  console.log(
    `epoch ${epoch + 1}: train loss ${(lossSum / trainIdx.length).toFixed(4)}, held-out cosine ${validate().toFixed(4)} ` +
      `(${((performance.now() - t0) / 1000).toFixed(0)} s)`,
  );
}

const bytes = snapshot(logGate.map(Math.exp));
const student = SentenceStudent.parse(bytes, output);
// After int8 rounding of the rows: the cosine the runtime will see.
let cq = 0;
const out = new Float32Array(K);
for (const i of valIdx) {
  out.fill(0);
  student.encodeInto(sentences[i] as string, tokenizer, out);
  cq += cosine(out, Y.subarray(i * K, (i + 1) * K));
}
console.log(`held-out cosine through the int8 runtime: ${(cq / valIdx.length).toFixed(4)}`);
writeFileSync(output, bytes);
console.log(`wrote ${output}: ${(bytes.length / 2 ** 20).toFixed(2)} MiB`);
