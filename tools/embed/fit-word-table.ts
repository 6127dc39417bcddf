/**
 * Step 2 of the distillation: fits the shipped word table so that the
 * weighted sum of a sentence's word vectors approximates the Universal
 * Sentence Encoder's vector of that sentence (a linear map from bag of words
 * to the encoder's space, i.e. one vector per word).
 *
 * Targets are the corpus sentences' encoder vectors, centred and projected on
 * their top `components` principal directions. The fit is ridge regression
 * towards a prior, the word's own single-word encoding projected the same way
 * (so rare words that the corpus barely constrains still point somewhere
 * sensible), solved by conjugate gradient on the normal equations, all output
 * columns at once. Words are looked up as at run time (the word, else its stem)
 * and weighted as at run time before IDF (function words 0.1).
 *
 * Usage: npx node tools/embed/fit-word-table.ts <vocab.f32> <corpus.f32> <out.bin> [components] [lambda] [iterations]
 * Output: the int8 table format of scorers/src/embed/word-table.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cosine, encodeWordTable, isStopword, stem, words } from '@oversight/scorers/embed';
import { meanOf, principalDirections, projectRow } from './shared.ts';

const [vocabFile, corpusFile, output, kArg, lambdaArg, iterArg] = process.argv.slice(2);
if (!vocabFile || !corpusFile || !output)
  throw new Error(
    'usage: fit-word-table.ts <vocab.f32> <corpus.f32> <out.bin> [components] [lambda] [iterations]',
  );
const K = Number(kArg ?? 96);
const lambda = Number(lambdaArg ?? 0.3);
const iterations = Number(iterArg ?? 60);
const D = 512;

const floats = (f: string) => new Float32Array(new Uint8Array(readFileSync(f)).buffer);
const vocab = readFileSync(`${vocabFile}.words.txt`, 'utf8').split('\n').filter(Boolean);
const wordVecs = floats(vocabFile);
const sentences = readFileSync(`${corpusFile}.sentences.txt`, 'utf8').split('\n').filter(Boolean);
const sentVecs = floats(corpusFile);
const W = vocab.length;
const S = sentences.length;
if (wordVecs.length !== W * D || sentVecs.length !== S * D)
  throw new Error('vector files do not match their text files');

const { mean: muS, basis, kept } = principalDirections(sentVecs, S, D, K);
console.log(
  `${S} sentences, ${W} words; ${K} components keep ${(100 * kept).toFixed(1)}% of sentence variance`,
);

const project = (x: Float32Array, i: number, mu: Float64Array, out: Float64Array, at: number) =>
  projectRow(x, i, D, mu, basis, K, out, at);
const Y = new Float64Array(S * K);
for (let i = 0; i < S; i++) project(sentVecs, i, muS, Y, i * K);
// Prior: single-word encodings, centred on their own mean, rescaled to the targets' spread.
const muW = meanOf(wordVecs, W, D);
const V0 = new Float64Array(W * K);
for (let i = 0; i < W; i++) project(wordVecs, i, muW, V0, i * K);
const rms = (x: Float64Array) => Math.sqrt(x.reduce((a, v) => a + v * v, 0) / x.length);
const priorScale = rms(Y) / rms(V0);
for (let i = 0; i < V0.length; i++) V0[i] = (V0[i] as number) * priorScale;

// Sparse design matrix: row s holds the run-time weights of its words, summing to 1.
const index = new Map(vocab.map((w, i) => [w, i]));
const rowStart = [0];
const cols: number[] = [];
const vals: number[] = [];
for (const s of sentences) {
  const entries = new Map<number, number>();
  for (const raw of words(s)) {
    const at = index.get(raw) ?? index.get(stem(raw));
    if (at === undefined) continue;
    entries.set(at, (entries.get(at) ?? 0) + (isStopword(raw) ? 0.1 : 1));
  }
  const sum = [...entries.values()].reduce((a, b) => a + b, 0);
  for (const [c, v] of entries) {
    cols.push(c);
    vals.push(v / sum);
  }
  rowStart.push(cols.length);
}

/** out = (AᵀA + λI) x, for W × K matrices. */
const tmp = new Float64Array(S * K);
function apply(x: Float64Array, out: Float64Array) {
  tmp.fill(0);
  for (let s = 0; s < S; s++)
    for (let p = rowStart[s] as number; p < (rowStart[s + 1] as number); p++) {
      const c = cols[p] as number;
      const v = vals[p] as number;
      for (let k = 0; k < K; k++) tmp[s * K + k] = (tmp[s * K + k] as number) + v * (x[c * K + k] as number);
    }
  for (let i = 0; i < out.length; i++) out[i] = lambda * (x[i] as number);
  for (let s = 0; s < S; s++)
    for (let p = rowStart[s] as number; p < (rowStart[s + 1] as number); p++) {
      const c = cols[p] as number;
      const v = vals[p] as number;
      for (let k = 0; k < K; k++)
        out[c * K + k] = (out[c * K + k] as number) + v * (tmp[s * K + k] as number);
    }
}
// b = AᵀY + λV0; start from the prior.
const b = new Float64Array(W * K);
for (let s = 0; s < S; s++)
  for (let p = rowStart[s] as number; p < (rowStart[s + 1] as number); p++) {
    const c = cols[p] as number;
    const v = vals[p] as number;
    for (let k = 0; k < K; k++) b[c * K + k] = (b[c * K + k] as number) + v * (Y[s * K + k] as number);
  }
for (let i = 0; i < b.length; i++) b[i] = (b[i] as number) + lambda * (V0[i] as number);
const V = Float64Array.from(V0);
const r = new Float64Array(W * K);
const q = new Float64Array(W * K);
apply(V, q);
for (let i = 0; i < r.length; i++) r[i] = (b[i] as number) - (q[i] as number);
const p = Float64Array.from(r);
const colDot = (x: Float64Array, y: Float64Array) => {
  const out = new Float64Array(K);
  for (let i = 0; i < x.length; i++)
    out[i % K] = (out[i % K] as number) + (x[i] as number) * (y[i] as number);
  return out;
};
let rr = colDot(r, r);
const rr0 = rr.reduce((a, v) => a + v, 0);
for (let it = 0; it < iterations; it++) {
  apply(p, q);
  const pq = colDot(p, q);
  for (let i = 0; i < V.length; i++) {
    const a = (rr[i % K] as number) / ((pq[i % K] as number) || 1);
    V[i] = (V[i] as number) + a * (p[i] as number);
    r[i] = (r[i] as number) - a * (q[i] as number);
  }
  const next = colDot(r, r);
  for (let i = 0; i < p.length; i++)
    p[i] = (r[i] as number) + ((next[i % K] as number) / ((rr[i % K] as number) || 1)) * (p[i] as number);
  rr = next;
  if (it % 10 === 9)
    console.log(`cg ${it + 1}: residual ${(rr.reduce((a, v) => a + v, 0) / rr0).toExponential(2)}`);
}

// Fit on the corpus: mean cosine between predicted and encoder sentence vectors.
let cosSum = 0;
for (let s = 0; s < S; s++) {
  const pred = new Float64Array(K);
  for (let p2 = rowStart[s] as number; p2 < (rowStart[s + 1] as number); p2++)
    for (let k = 0; k < K; k++)
      pred[k] = (pred[k] as number) + (vals[p2] as number) * (V[(cols[p2] as number) * K + k] as number);
  cosSum += cosine(pred, Y.subarray(s * K, (s + 1) * K));
}
console.log(`mean cosine to the encoder on the corpus: ${(cosSum / S).toFixed(3)}`);

const bytes = encodeWordTable(vocab, V, K);
writeFileSync(output, bytes);
console.log(`wrote ${output}: ${(bytes.length / 2 ** 20).toFixed(2)} MiB`);
