/**
 * A static word-vector table (int8, one scale per word) that the hashed
 * embedder can append to its features: a word costs a map lookup and a few
 * dozen multiply-adds, where a sentence encoder costs milliseconds per
 * sentence. tools/embed/ distils one from the Universal Sentence Encoder
 * (lite); measured on held-out intents it did not beat the hashed features,
 * so no table ships and the hashed embedder uses none unless given one.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const MAGIC = 0x3157564f; // "OVW1"

const headerSchema = z.object({
  magic: z.literal(MAGIC, { message: 'not a word table (bad magic number)' }),
  words: z.number().int().positive(),
  components: z.number().int().positive().max(4096),
});

export class WordTable {
  readonly components: number;
  readonly size: number;
  private readonly index: Map<string, number>;
  private readonly scales: Float32Array;
  private readonly values: Int8Array;

  private constructor(words: string[], components: number, scales: Float32Array, values: Int8Array) {
    this.components = components;
    this.size = words.length;
    this.index = new Map(words.map((w, i) => [w, i]));
    this.scales = scales;
    this.values = values;
  }

  /** Parses the binary format written by tools/embed/build-word-table.ts. */
  static parse(bytes: Uint8Array, source = 'word table'): WordTable {
    if (bytes.length < 12) throw new Error(`${source}: ${bytes.length} bytes, too short for a header`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const header = headerSchema.safeParse({
      magic: view.getUint32(0, true),
      words: view.getUint32(4, true),
      components: view.getUint32(8, true),
    });
    if (!header.success) throw new Error(`${source}: ${header.error.issues[0]?.message}`);
    const { words: n, components: k } = header.data;
    const valuesAt = 12 + 4 * n;
    const textAt = valuesAt + n * k;
    if (bytes.length < textAt)
      throw new Error(`${source}: truncated (${bytes.length} bytes, need ${textAt}+)`);
    // Copies, so the typed arrays are aligned whatever the buffer's offset.
    const scales = new Float32Array(n);
    for (let i = 0; i < n; i++) scales[i] = view.getFloat32(12 + 4 * i, true);
    // (A Node Buffer's slice() is a view into a shared pool, hence the explicit copy.)
    const values = new Int8Array(n * k);
    values.set(new Int8Array(bytes.buffer, bytes.byteOffset + valuesAt, n * k));
    const words = new TextDecoder().decode(bytes.subarray(textAt)).split('\n');
    if (words.length !== n) throw new Error(`${source}: header says ${n} words, text has ${words.length}`);
    return new WordTable(words, k, scales, values);
  }

  static load(url: URL): WordTable {
    return WordTable.parse(readFileSync(url), url.pathname);
  }

  has(word: string): boolean {
    return this.index.has(word);
  }

  /** Adds `weight` × the word's vector into `out` at `offset`; false when the word is not in the table. */
  addTo(word: string, weight: number, out: Float32Array, offset = 0): boolean {
    const i = this.index.get(word);
    if (i === undefined) return false;
    const k = this.components;
    const w = weight * (this.scales[i] as number);
    const values = this.values;
    const base = i * k;
    for (let c = 0; c < k; c++)
      out[offset + c] = (out[offset + c] as number) + w * (values[base + c] as number);
    return true;
  }
}

/**
 * The binary form `WordTable.parse` reads, little endian: "OVW1", uint32 words,
 * uint32 components, float32 scale[words], int8 value[words × components],
 * then the words as UTF-8 joined by "\n". `vectors` is row-major, one row per word.
 */
export function encodeWordTable(
  wordList: readonly string[],
  vectors: ArrayLike<number>,
  components: number,
): Uint8Array {
  const n = wordList.length;
  if (vectors.length !== n * components)
    throw new Error(`encodeWordTable: ${vectors.length} values for ${n} words × ${components} components`);
  for (const w of wordList)
    if (w.length === 0 || w.includes('\n')) throw new Error(`encodeWordTable: bad word ${JSON.stringify(w)}`);
  const text = new TextEncoder().encode(wordList.join('\n'));
  const valuesAt = 12 + 4 * n;
  const out = new Uint8Array(valuesAt + n * components + text.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, n, true);
  view.setUint32(8, components, true);
  const values = new Int8Array(out.buffer, valuesAt, n * components);
  for (let i = 0; i < n; i++) {
    let maxAbs = 0;
    for (let c = 0; c < components; c++)
      maxAbs = Math.max(maxAbs, Math.abs(vectors[i * components + c] as number));
    // One scale per word: int8 then keeps every word's direction to within ~0.5%.
    const scale = maxAbs / 127 || 1;
    view.setFloat32(12 + 4 * i, scale, true);
    for (let c = 0; c < components; c++)
      values[i * components + c] = Math.round((vectors[i * components + c] as number) / scale);
  }
  out.set(text, valuesAt + n * components);
  return out;
}
