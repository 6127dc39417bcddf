/**
 * Step 4 of the distillation: fine-tunes a trained student on what the
 * clusterer actually compares. At run time the student's vectors are centred
 * on the running mean of one project's questions (hashed.ts), so two
 * questions of one app are told apart by what is left once their shared
 * domain is taken out; fit-student.ts only asks each vector to point where
 * the encoder's does, and small errors there become large ones in that
 * remainder (on banking77 the pairwise cosines of the shipped student and the
 * encoder correlate at 0.70 as they come, 0.62 once both are centred).
 *
 * So batches here hold related sentences (one k-means cluster of the
 * encoder's vectors, a stand-in for one app's traffic), and the loss adds to
 * fit-student.ts's 1 − cosine the same for both sides' unit vectors centred
 * on the batch's mean, weighted `CENTRED`. The targets are the encoder's
 * vectors in the student's output space: the map from an encoding to the
 * student's rows (shared.ts `recoverStartMap`, exact for untrained rows),
 * then one scale and a per-component offset, fitted by least squares to the
 * student's own outputs, for the difference between the rows' centring and
 * the sentences'. Rows and gates are pulled back towards the student's. Nothing comes from an
 * evaluation set.
 *
 * Usage: npx node tools/embed/tune-student.ts <student.bin> <out.bin> <corpus.f32>...
 * Env: CENTRED (0.8), CLUSTERS (500), EPOCHS (12), LR (0.001), BATCH (32),
 *      DECAY (1e-4), SEED (777).
 *
 * Shipped scorers/src/models/student-en.bin (2026-12-04, until
 * soup-student.ts averaged SEEDs 777–780, whose figures are in its header):
 * the extended student of extend-vocabulary.ts tuned with the defaults and SEED 778 on
 * 65,000 sentences (wordnet-corpus.ts: the first 40,000 of its seeded order,
 * and 25,000 --questions requests; 3 min). Held-out batches: cosine 0.873 →
 * 0.881, centred 0.711 → 0.740. On banking77 (a check, not a pick): the
 * student's pairwise cosines correlate with the encoder's at 0.74 (was 0.70),
 * 0.66 centred (was 0.62); same-intent pairs rank above others at AUROC 0.862
 * (was 0.848; the encoder 0.898). Judged by judge-student.ts (thresholds
 * picked per student on the tune half over five orders; NMI / ARI (topics)):
 *                              tune score  held-out            all, file order     all, 10 orders
 *   before (extended student)  1.117       0.761/0.508 (74)    0.690/0.313 (117)   0.685/0.308 (113)
 *   plain loss only (λ 1, 6 epochs, 200 clusters)
 *                              1.127       0.761/0.518 (75)    0.692/0.319 (121)   0.687/0.319 (112)
 *   SEED 777                   1.160       0.766/0.520 (73)    0.693/0.339 (117)   0.696/0.333 (121)
 *   SEED 778 (SHIPPED)         1.164       0.764/0.517 (75)    0.689/0.319 (118)   0.695/0.324 (119)
 *   twice the sentences (135,000: wordnet-corpus.ts's first 80,000 and all
 *   54,962 requests), SEED 777 / 778
 *                              1.160 / 1.158  0.765/0.514, 0.759/0.512  0.691/0.328 (115), 0.691/0.325 (107)
 *                                                                      orders 0.696/0.334, 0.696/0.328
 * Both seeds picked assign 0.6, merge 0.16 (the student before: 0.55, 0.16),
 * as did both on twice the sentences, which gained nothing.
 * At any one pair of thresholds the tuned students cluster better; at the
 * previously shipped 0.55 / 0.18, for instance, seed 778 gives 0.700 / 0.337
 * (126) on the file's order and 0.705 / 0.345 over the orders, against
 * 0.697 / 0.337 (136) and 0.696 / 0.330 before. The picks land on fewer
 * topics, so the whole-file figures at the picked thresholds stay level
 * while the tune and held-out halves gain.
 *
 * The loss is (1 − CENTRED) × plain + CENTRED × centred. Other weights and
 * lengths, tried 2026-12-04 on the same 65,000 sentences (seeds 777–780;
 * mean of the four single runs, then their soup, soup-student.ts):
 *                    tune score            held-out       all, file order   all, 10 orders
 *   CENTRED 0.8      1.163; soup 1.168     0.767/0.522    0.692/0.329       0.695/0.329
 *   CENTRED 0.95     1.168; soup 1.169     0.770/0.521    0.694/0.324       0.697/0.331
 *   CENTRED 1        1.175; soup 1.162     0.766/0.515    0.696/0.328       0.698/0.329
 *   (soups: 0.8 0.770/0.531, 0.692/0.328, 0.696/0.324; 0.95 0.772/0.519,
 *   0.694/0.325, 0.698/0.335; 1 0.770/0.522, 0.703/0.337, 0.696/0.317)
 * The centred weight raises the tune half's score and not the held-out
 * half's, so it stays at 0.8. The pure centred loss lets the plain cosine to
 * the encoder fall (held-out 0.88 → 0.84), its runs drift apart, and their
 * soup scores below every one of them. The single best run of all (CENTRED
 * 1, seed 779, tune 1.186) has held-out 0.765 / 0.508: the tune half's
 * maximum over some twenty students is not a pick. EPOCHS 24 (seed 777,
 * CENTRED 0.8): tune 1.163 against 1.160, held-out 0.770 / 0.524.
 *
 * A relational term, tried 2026-12-04 (code not kept; 0a30ea1 has it as
 * RELATIONAL): the batch's pairwise centred cosines, the numbers the
 * clusterer compares, against the encoder's, the mean over ordered pairs of
 * (ŝ_b·ŝ_c − t̂_b·t̂_c)², added to the loss. Tried on the shipped soup, re-tuned
 * (SEED 777, 12 epochs, the same 65,000 sentences encoded afresh): held-out
 * batches' RMS pairwise error 0.170 → 0.165 at RELATIONAL 5 (the student's
 * width, not the loss, seems to hold it), centred cosine 0.789 → 0.782.
 * Judged as above:             tune score  held-out            all, file order     all, 10 orders
 *   the shipped soup           1.168       0.770/0.531 (76)    0.692/0.328 (113)   0.696/0.324 (121)
 *   re-tuned, RELATIONAL 0     1.161       0.763/0.510 (80)    0.693/0.328 (114)   0.696/0.334 (121)
 *   re-tuned, RELATIONAL 5     1.155       0.769/0.542 (74)    0.693/0.327 (119)   0.695/0.337 (115)
 * Both below the soup on the tune half, so neither ships; the relational
 * term moves nothing beyond the spread between runs.
 *
 * Context weighting, tried 2026-12-04 (code not kept): each word's weight
 * in the average times exp(u · (row ⊙ mean)), u learnt from 0 (the gated
 * mean), so words that agree with the sentence's gist count for more, a
 * one-step stand-in for the encoder's attention; gradients checked against
 * finite differences. SEED 777, same corpora and loss:
 *                              tune score  held-out            all, file order     all, 10 orders
 *   no context (as shipped)    1.160       0.766/0.520 (73)    0.693/0.339 (117)   0.696/0.333 (121)
 *   context, u's rate 1        1.151       0.772/0.518 (86)    0.691/0.329 (122)   0.701/0.343 (125)
 *   context, u's rate 50       1.148       0.776/0.529 (76)    0.697/0.342 (113)   0.696/0.334 (116)
 * u stays small (|u| 0.17 and 0.36) and the held-out batches' cosine falls
 * at the higher rate (0.879 → 0.876): the loss finds little to weight.
 *
 * Max pooling beside the mean, tried 2026-12-05 (code not kept): the tanh
 * layer also read each component's largest value over the sentence's rows
 * (as SWEM-concat does), its weights starting at 0 so tuning began from the
 * same function; the maximum's gradient went to the row it came from
 * (checked against finite differences). Same corpora, loss and epochs;
 * the student's cost would have grown by one more 96-wide input to that layer:
 *                              tune score  held-out            all, file order     all, 10 orders
 *   SEED 777, mean only        1.160       0.766/0.520 (73)    0.693/0.339 (117)   0.696/0.333 (121)
 *   SEED 777, mean and max     1.157       0.774/0.531 (73)    0.689/0.323 (110)   0.698/0.335 (121)
 *   SEED 778, mean only        1.164       0.764/0.517 (75)    0.689/0.319 (118)   0.695/0.324 (119)
 *   SEED 778, mean and max     1.159       0.771/0.525 (72)    0.686/0.306 (117)   0.695/0.326 (117)
 * Below the mean alone on the tune half for both seeds, level over ten
 * orders: the held-out half's +0.007 is inside the spread between runs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import {
  encodeStudent,
  isStopword,
  normalizeInPlace,
  SentenceStudent,
  type StudentToken,
  stem,
  words,
} from '@oversight/scorers/embed';
import { type Activations, DanTrainer } from './dan.ts';
import { ENCODER_WIDTH, readCorpora, recoverStartMap, rng, shuffleInPlace } from './shared.ts';

const [input, output, ...corpora] = process.argv.slice(2);
if (!input || !output || corpora.length === 0)
  throw new Error('usage: tune-student.ts <student.bin> <out.bin> <corpus.f32>...');
const env = (name: string, d: number) => Number(process.env[name] ?? d);
const CENTRED = env('CENTRED', 0.8);
const CLUSTERS = env('CLUSTERS', 500);
const EPOCHS = env('EPOCHS', 12);
const LR = env('LR', 0.001);
const BATCH = env('BATCH', 32);
const DECAY = env('DECAY', 1e-4);
/** Smallest batch trained on: the centred loss needs a mean of several sentences. */
const MIN_BATCH = 8;
const D = ENCODER_WIDTH;
const tokenizer = { words, stem, isStopword };
const r = rng(env('SEED', 777));

const student = SentenceStudent.parse(readFileSync(input), input);
const w0 = student.weights();
const { input: E, hidden: H, output: K } = w0.shape;
if (E !== K) throw new Error(`${input}: rows of width ${E} but ${K} outputs; the start map needs them equal`);

const { map, cosine: mapCosine } = await recoverStartMap(w0, 3_000, 500);
console.log(`start map: held-out rows at mean cosine ${mapCosine.toFixed(4)}`);
if (mapCosine < 0.999) throw new Error(`the untrained rows are not an affine image of their encodings`);
const A = map.to2DArray();

// Corpora, their encodings mapped to the row space (row by row: the design
// matrix of every sentence at once would be S × 513 doubles).
const { sentences, vectors } = readCorpora(corpora);
const S = sentences.length;
const mapped = new Float64Array(S * K);
for (let i = 0; i < S; i++) {
  mapped.set(A[D] as number[], i * K);
  for (let d = 0; d < D; d++) {
    const x = vectors[i * D + d] as number;
    const row = A[d] as number[];
    for (let k = 0; k < K; k++) mapped[i * K + k] = (mapped[i * K + k] as number) + x * (row[k] as number);
  }
}
// Tokenized with unit gates (the stop-word factor alone): the trainer applies its own.
const ungated = SentenceStudent.parse(
  encodeStudent({ ...w0, gates: new Float32Array(w0.gates.length).fill(1) }),
);
const toks: StudentToken[][] = sentences.map((s) => ungated.tokens(s, tokenizer));

// Targets in the output frame: y ≈ mean_y + a (m − mean_m), a shared, fitted on the student's outputs.
const outputs = new Float32Array(S * K);
for (const [i, s] of sentences.entries()) student.encodeInto(s, tokenizer, outputs, i * K);
// Each term divided by S (not meanOf's sum, then divide): the shipped student was tuned on these bits.
const meanM = new Float64Array(K);
const meanY = new Float64Array(K);
for (let i = 0; i < S; i++)
  for (let k = 0; k < K; k++) {
    meanM[k] = (meanM[k] as number) + (mapped[i * K + k] as number) / S;
    meanY[k] = (meanY[k] as number) + (outputs[i * K + k] as number) / S;
  }
let num = 0;
let den = 0;
for (let i = 0; i < S; i++)
  for (let k = 0; k < K; k++) {
    const dm = (mapped[i * K + k] as number) - (meanM[k] as number);
    num += dm * ((outputs[i * K + k] as number) - (meanY[k] as number));
    den += dm * dm;
  }
const scale = num / den;
const Y = new Float32Array(S * K);
for (let i = 0; i < S; i++)
  for (let k = 0; k < K; k++)
    Y[i * K + k] = (meanY[k] as number) + scale * ((mapped[i * K + k] as number) - (meanM[k] as number));

const unit = (v: ArrayLike<number>): Float32Array => normalizeInPlace(Float32Array.from(v));

/** Spherical k-means of the targets centred on the corpus mean: groups of related sentences. */
function clusters(): number[][] {
  const U = Array.from({ length: S }, (_, i) =>
    unit(Y.subarray(i * K, (i + 1) * K).map((v, k) => v - (meanY[k] as number))),
  );
  const seeds = shuffleInPlace(
    Array.from({ length: S }, (_, i) => i),
    r,
  );
  let centres: Float32Array[] = seeds.slice(0, CLUSTERS).map((i) => Float32Array.from(U[i] as Float32Array));
  const assigned = new Int32Array(S);
  for (let round = 0; round < 12; round++) {
    for (let i = 0; i < S; i++) {
      const u = U[i] as Float32Array;
      let best = -Infinity;
      for (const [c, centre] of centres.entries()) {
        let dot = 0;
        for (let k = 0; k < K; k++) dot += (u[k] as number) * (centre[k] as number);
        if (dot > best) {
          best = dot;
          assigned[i] = c;
        }
      }
    }
    const sums = centres.map(() => new Float32Array(K));
    for (let i = 0; i < S; i++) {
      const sum = sums[assigned[i] as number] as Float32Array;
      const u = U[i] as Float32Array;
      for (let k = 0; k < K; k++) sum[k] = (sum[k] as number) + (u[k] as number);
    }
    centres = sums.map(unit);
  }
  const out: number[][] = centres.map(() => []);
  for (let i = 0; i < S; i++) out[assigned[i] as number]?.push(i);
  return out;
}
const groups = clusters();
const batchesOf = (exclude?: Set<number>): number[][] => {
  const out: number[][] = [];
  for (const g of groups) {
    const xs = shuffleInPlace(
      g.filter((i) => !exclude?.has(i)),
      r,
    );
    for (let s = 0; s + MIN_BATCH <= xs.length; s += BATCH) out.push(xs.slice(s, s + BATCH));
  }
  return shuffleInPlace(out, r);
};
// A seeded 3% of the batches is held out.
const first = batchesOf();
const held = first.slice(0, Math.floor(first.length * 0.03));
const heldOut = new Set(held.flat());
console.log(
  `${S} sentences in ${CLUSTERS} clusters (${Math.min(...groups.map((g) => g.length))}–${Math.max(...groups.map((g) => g.length))}); ${heldOut.size} held out; target scale ${scale.toFixed(3)}`,
);

const dan = new DanTrainer(
  { input: E, hidden: H, output: K },
  {
    rows: Float32Array.from(w0.rows),
    logGate: Float32Array.from(w0.gates, (g) => (g > 0 ? Math.log(g) : -30)),
    w1: Float32Array.from(w0.w1),
    b1: Float32Array.from(w0.b1),
    w2: Float32Array.from(w0.w2),
    b2: Float32Array.from(w0.b2),
    p: Float32Array.from(w0.p),
  },
  DECAY,
);

/**
 * The batch's plain and centred losses; with `gys`, each sentence's dL/dy
 * (already divided by the batch size). A sentence with no known word has
 * output 0 and neither loss nor gradient.
 */
function batchLoss(batch: readonly number[], ys: readonly Float32Array[], gys?: Float32Array[]) {
  const B = batch.length;
  const norms = ys.map((y) => Math.hypot(...y));
  const us = ys.map(unit);
  const ts = batch.map((i) => unit(Y.subarray(i * K, (i + 1) * K)));
  const uBar = new Float32Array(K);
  const tBar = new Float32Array(K);
  for (let b = 0; b < B; b++)
    for (let k = 0; k < K; k++) {
      uBar[k] = (uBar[k] as number) + (us[b]?.[k] as number) / B;
      tBar[k] = (tBar[k] as number) + (ts[b]?.[k] as number) / B;
    }
  let plain = 0;
  let centred = 0;
  // dL/du for the centred part, before the centring's own Jacobian.
  const gc = us.map(() => new Float32Array(K));
  for (let b = 0; b < B; b++) {
    const u = us[b] as Float32Array;
    const t = ts[b] as Float32Array;
    const uc = u.map((v, k) => v - (uBar[k] as number));
    const tc = t.map((v, k) => v - (tBar[k] as number));
    const nu = Math.hypot(...uc) || 1;
    const nt = Math.hypot(...tc) || 1;
    let dot = 0;
    let direct = 0;
    for (let k = 0; k < K; k++) {
      dot += (uc[k] as number) * (tc[k] as number);
      direct += (u[k] as number) * (t[k] as number);
    }
    const cc = dot / (nu * nt);
    centred += 1 - cc;
    plain += 1 - direct;
    const g = gc[b] as Float32Array;
    for (let k = 0; k < K; k++)
      g[k] = -((tc[k] as number) / (nu * nt) - (cc * (uc[k] as number)) / (nu * nu));
  }
  if (gys) {
    // uc_b = u_b − mean(u): dL/du_k = gc_k − mean(gc).
    const meanGc = new Float32Array(K);
    for (const g of gc) for (let k = 0; k < K; k++) meanGc[k] = (meanGc[k] as number) + (g[k] as number) / B;
    for (let b = 0; b < B; b++) {
      const u = us[b] as Float32Array;
      const t = ts[b] as Float32Array;
      const gu = new Float32Array(K);
      for (let k = 0; k < K; k++)
        gu[k] = CENTRED * ((gc[b]?.[k] as number) - (meanGc[k] as number)) - (1 - CENTRED) * (t[k] as number);
      // u = y/|y|: dL/dy = (gu − (gu·u) u)/|y|.
      let along = 0;
      for (let k = 0; k < K; k++) along += (gu[k] as number) * (u[k] as number);
      const gy = gys[b] as Float32Array;
      const n = norms[b] as number;
      for (let k = 0; k < K; k++) gy[k] = n > 0 ? ((gu[k] as number) - along * (u[k] as number)) / n / B : 0;
    }
  }
  return { plain: plain / B, centred: centred / B };
}

/** The batch's forward passes, each with its own activations for its backward pass. */
function passesOf(batch: readonly number[]): { y: Float32Array; tw: number; act: Activations }[] {
  return batch.map((i) => {
    const y = new Float32Array(K);
    const act = dan.activations();
    return { y, tw: dan.forward(toks[i] as StudentToken[], y, act), act };
  });
}

function validate(): string {
  let plain = 0;
  let centred = 0;
  for (const batch of held) {
    const l = batchLoss(
      batch,
      passesOf(batch).map((pass) => pass.y),
    );
    plain += l.plain;
    centred += l.centred;
  }
  return `cosine ${(1 - plain / held.length).toFixed(4)}, centred ${(1 - centred / held.length).toFixed(4)}`;
}
console.log(`start: held out ${validate()}`);

const t0 = performance.now();
for (let epoch = 0; epoch < EPOCHS; epoch++) {
  const batches = epoch === 0 ? first.slice(held.length) : batchesOf(heldOut);
  const lr = LR * (epoch === EPOCHS - 1 && EPOCHS > 1 ? 0.3 : 1);
  let plain = 0;
  let centred = 0;
  for (const batch of batches) {
    const gys = batch.map(() => new Float32Array(K));
    const passes = passesOf(batch);
    const l = batchLoss(
      batch,
      passes.map((pass) => pass.y),
      gys,
    );
    plain += l.plain;
    centred += l.centred;
    for (const [b, i] of batch.entries()) {
      const { tw, act } = passes[b] as (typeof passes)[number];
      if (tw > 0) dan.backward(toks[i] as StudentToken[], tw, gys[b] as Float32Array, act);
    }
    dan.step(lr);
  }
  console.log(
    `epoch ${epoch + 1}: train cosine ${(1 - plain / batches.length).toFixed(4)}, centred ${(1 - centred / batches.length).toFixed(4)}; ` +
      `held out ${validate()} (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
  );
}

const { rows, logGate, w1, b1, w2, b2, p } = dan.params;
const bytes = encodeStudent({ ...w0, gates: logGate.map(Math.exp), rows, w1, b1, w2, b2, p });
writeFileSync(output, bytes);
console.log(`wrote ${output}: ${(bytes.length / 2 ** 20).toFixed(2)} MiB`);
