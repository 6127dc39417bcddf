/**
 * A small sentence encoder distilled from the Universal Sentence Encoder
 * (lite) on real English sentences (tools/embed/fit-student.ts): a deep
 * averaging network. The weighted mean (a learned weight per row) of the
 * sentence's word vectors, optionally with hashed rows for adjacent
 * content-word pairs, goes through one tanh layer, added to a linear map of
 * the same mean. About 35k multiply-adds a sentence for the shipped shape,
 * run by a WebAssembly SIMD kernel (student.wat; ≈ 7 µs a question, where the
 * encoder it imitates costs ≈ 10 ms); the hashed embedder appends its output
 * as the `wordTable` part.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { fmix, fnv1a, fnv1aBytes } from '../text/hash.ts';
import { wasmKernel } from '../wasm.ts';

type MatVec = (m: number, x: number, y: number, rows: number, cols: number) => void;
const KERNEL_URL = new URL('./student.wasm', import.meta.url);

const MAGIC = 0x3153564f; // "OVS1"
const PAIR_SEED = 0x1b873593;
const HEADER_BYTES = 28;

const headerSchema = z.object({
  magic: z.literal(MAGIC, { message: 'not a sentence student (bad magic number)' }),
  words: z.number().int().positive(),
  input: z.number().int().positive().max(1024),
  hidden: z.number().int().positive().max(4096),
  output: z.number().int().positive().max(1024),
  buckets: z
    .number()
    .int()
    .nonnegative()
    .max(1 << 20),
  stopWeight: z.number().min(0).max(1),
});
export type StudentShape = Omit<z.infer<typeof headerSchema>, 'magic'>;

/**
 * Dense parameters in file order; `rows` = words then pair buckets, int8 with
 * one scale per row; `gates` = each row's weight in the average (learned, so
 * "the" and "how" count for less than "refund").
 */
export interface StudentWeights {
  shape: StudentShape;
  words: readonly string[];
  gates: ArrayLike<number>;
  rows: ArrayLike<number>;
  w1: ArrayLike<number>;
  b1: ArrayLike<number>;
  w2: ArrayLike<number>;
  b2: ArrayLike<number>;
  p: ArrayLike<number>;
}

// The same tokenizer, stop list and stemmer as the hashed embedder, passed in
// to avoid an import cycle (hashed.ts imports this file).
export interface Tokenizer {
  words(text: string): string[];
  stem(word: string): string;
  isStopword(word: string): boolean;
  /**
   * How many of the project's texts so far said `word`: given, a word the
   * student does not know is read as the known word one typing slip away
   * that the project's users write most (`SentenceStudent.respelled`).
   */
  frequency?(word: string): number;
  /** A function word the student lacks ("arent", "theyve") is not a slip. */
  isFunctionWord?(word: string): boolean;
}

/** Shorter words are left as written: one slip from a three-letter word reaches too many others. */
const MIN_RESPELL = 4;
/**
 * Longer words are too: each letter costs 54 lookups of candidates, and no
 * slip of an English word is this long, so a text cannot make the main
 * thread search for long made-up words.
 */
const MAX_RESPELL = 20;
/** Words respelled in one text at most: slips are few, and each search costs. */
const MAX_SLIPS = 4;
/** A word the project's texts said this often is its users' word (a brand, a product), not a slip. */
const RECURRING = 3;
const LETTERS = /^[a-z]+$/;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz';
/** Words whose candidates are kept (`neighbours`); past it the cache starts again. */
const NEIGHBOUR_CACHE = 8192;

/**
 * A text split into words, with each word's respelling (`spellings`): what
 * the hashed embedder reads once and hands both its features and the student.
 */
export interface ReadText {
  words: readonly string[];
  spelled: readonly (string | undefined)[] | undefined;
}

/** One input of the averaging layer: a row of the table and its weight. */
export interface StudentToken {
  row: number;
  weight: number;
}

/** How much of a text the student knows: its content words, and those with a row. */
export interface StudentCoverage {
  content: number;
  known: number;
}

/** The student shipped with the package (tools/embed/fit-student.ts, figures in its header). */
export const SHIPPED_STUDENT_URL: URL = new URL('../models/student-en.bin', import.meta.url);
let shipped: SentenceStudent | undefined;

export class SentenceStudent {
  readonly shape: StudentShape;
  /** Output width, the number of columns the hashed embedder appends. */
  readonly components: number;
  /** Short content tag (FNV of the weights' bytes), part of the embedder id. */
  readonly tag: string;
  private readonly words: readonly string[];
  private readonly index: Map<string, number>;
  private readonly scales: Float32Array;
  private readonly gates: Float32Array;
  private readonly rows: Int8Array;
  private readonly w1: Float32Array;
  private readonly b1: Float32Array;
  private readonly w2: Float32Array;
  private readonly b2: Float32Array;
  private readonly p: Float32Array;
  private readonly x: Float32Array;
  private readonly h: Float32Array;
  private readonly y: Float32Array;
  private readonly matvec: MatVec;
  private readonly nearby = new Map<string, readonly string[]>();
  /** Byte offsets of the dense parameters and the scratch vectors in the kernel's memory. */
  private readonly at: Record<'w1' | 'w2' | 'p' | 'x' | 'h' | 'y', number>;

  private constructor(
    shape: StudentShape,
    words: string[],
    parts: {
      scales: Float32Array;
      gates: Float32Array;
      rows: Int8Array;
      w1: Float32Array;
      b1: Float32Array;
      w2: Float32Array;
      b2: Float32Array;
      p: Float32Array;
    },
    tag: string,
  ) {
    this.shape = shape;
    this.components = shape.output;
    this.words = words;
    this.index = new Map(words.map((w, i) => [w, i]));
    this.scales = parts.scales;
    this.gates = parts.gates;
    this.rows = parts.rows;
    this.b1 = parts.b1;
    this.b2 = parts.b2;
    this.tag = tag;
    // The matrices and the vectors they multiply live in the kernel's memory.
    const { input: E, hidden: H, output: O } = shape;
    const sizes = { w1: H * E, w2: O * H, p: O * E, x: E, h: H, y: O };
    let bytes = 0;
    const at = {} as Record<keyof typeof sizes, number>;
    for (const [name, count] of Object.entries(sizes) as [keyof typeof sizes, number][]) {
      at[name] = bytes;
      bytes += Math.ceil((4 * count) / 16) * 16;
    }
    const { exports, buffer } = wasmKernel<{ matvec: MatVec }>(KERNEL_URL, bytes);
    const view = (name: keyof typeof sizes) => new Float32Array(buffer, at[name], sizes[name]);
    this.at = at;
    this.matvec = exports.matvec;
    this.w1 = view('w1');
    this.w1.set(parts.w1);
    this.w2 = view('w2');
    this.w2.set(parts.w2);
    this.p = view('p');
    this.p.set(parts.p);
    this.x = view('x');
    this.h = view('h');
    this.y = view('y');
  }

  /** Parses the binary format of `encodeStudent`. */
  static parse(bytes: Uint8Array, source = 'sentence student'): SentenceStudent {
    if (bytes.length < HEADER_BYTES)
      throw new Error(`${source}: ${bytes.length} bytes, too short for a header`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const header = headerSchema.safeParse({
      magic: view.getUint32(0, true),
      words: view.getUint32(4, true),
      input: view.getUint32(8, true),
      hidden: view.getUint32(12, true),
      output: view.getUint32(16, true),
      buckets: view.getUint32(20, true),
      stopWeight: view.getFloat32(24, true),
    });
    if (!header.success) throw new Error(`${source}: ${header.error.issues[0]?.message}`);
    const { magic: _, ...shape } = header.data;
    const n = shape.words + shape.buckets;
    const sizes = layout(shape);
    if (bytes.length < sizes.textAt)
      throw new Error(`${source}: truncated (${bytes.length} bytes, need ${sizes.textAt}+)`);
    // Copies, so every typed array is aligned whatever the buffer's offset.
    const floats = (at: number, count: number) => {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(at + 4 * i, true);
      return out;
    };
    const rows = new Int8Array(n * shape.input);
    rows.set(new Int8Array(bytes.buffer, bytes.byteOffset + sizes.rowsAt, n * shape.input));
    const parts = {
      scales: floats(HEADER_BYTES, n),
      gates: floats(HEADER_BYTES + 4 * n, n),
      rows,
      w1: floats(sizes.w1At, shape.hidden * shape.input),
      b1: floats(sizes.b1At, shape.hidden),
      w2: floats(sizes.w2At, shape.output * shape.hidden),
      b2: floats(sizes.b2At, shape.output),
      p: floats(sizes.pAt, shape.output * shape.input),
    };
    for (const [name, a] of Object.entries(parts))
      for (const v of a as Float32Array)
        if (!Number.isFinite(v)) throw new Error(`${source}: non-finite value in ${name}`);
    if (parts.gates.some((g) => g < 0)) throw new Error(`${source}: negative gate`);
    const words = new TextDecoder().decode(bytes.subarray(sizes.textAt)).split('\n');
    if (words.length !== shape.words)
      throw new Error(`${source}: header says ${shape.words} words, text has ${words.length}`);
    const tag = (fnv1aBytes(bytes, 0, sizes.textAt) >>> 0).toString(16).padStart(8, '0');
    return new SentenceStudent(shape, words, parts, tag);
  }

  static load(url: URL): SentenceStudent {
    return SentenceStudent.parse(readFileSync(url), url.pathname);
  }

  /** The shipped English student, read once (≈ 6 MB, ≈ 30 ms) on first use. */
  static shipped(): SentenceStudent {
    shipped ??= SentenceStudent.load(SHIPPED_STUDENT_URL);
    return shipped;
  }

  /**
   * The parameters as `encodeStudent` takes them (rows scaled back from int8),
   * so a build step can extend a student: encoding them again gives the same
   * bytes, since each row's largest value maps back to ±127.
   */
  weights(): StudentWeights {
    const { input: E } = this.shape;
    const n = this.shape.words + this.shape.buckets;
    const rows = new Float32Array(n * E);
    for (let i = 0; i < n; i++)
      for (let c = 0; c < E; c++)
        rows[i * E + c] = (this.scales[i] as number) * (this.rows[i * E + c] as number);
    const { gates, w1, b1, w2, b2, p } = this;
    return { shape: { ...this.shape }, words: [...this.words], gates, rows, w1, b1, w2, b2, p };
  }

  /** The text's words and their respellings under `t`. */
  read(text: string, t: Tokenizer): ReadText {
    const ws = t.words(text);
    return { words: ws, spelled: this.spellings(ws, t) };
  }

  /**
   * The rows a text averages (words, else their stem, else their respelling;
   * then pairs of adjacent content words); `coverage`, when given, is set to
   * the text's counts. The text as it comes, or already `read`.
   */
  tokens(text: string | ReadText, t: Tokenizer, coverage?: StudentCoverage): StudentToken[] {
    const out: StudentToken[] = [];
    const { words: nWords, buckets, stopWeight } = this.shape;
    let prev: string | undefined;
    let content = 0;
    let known = 0;
    const { words: ws, spelled } = typeof text === 'string' ? this.read(text, t) : text;
    for (let i = 0; i < ws.length; i++) {
      const raw = ws[i] as string;
      const stop = t.isStopword(raw);
      const s = t.stem(raw);
      let row = this.index.get(raw) ?? this.index.get(s);
      // Coverage counts the words known as written: a respelling is a guess.
      const written = row !== undefined;
      const respelled = spelled?.[i];
      if (row === undefined && respelled !== undefined) row = this.index.get(respelled);
      if (row !== undefined && (!stop || stopWeight > 0))
        out.push({ row, weight: (stop ? stopWeight : 1) * (this.gates[row] as number) });
      if (stop) continue;
      content++;
      if (written) known++;
      if (buckets > 0 && prev !== undefined) {
        const row = nWords + pairBucket(prev, s, buckets);
        out.push({ row, weight: this.gates[row] as number });
      }
      prev = s;
    }
    if (coverage) {
      coverage.content = content;
      coverage.known = known;
    }
    return out;
  }

  /**
   * The known word one slip from `word` (a letter dropped, added
   * or changed, or two swapped) that the project says most, `frequency`
   * telling; a swap first, then a dropped, an added and a changed letter on
   * a tie. People type fast to a chatbot ("csot", "recieved", "withdrawl"),
   * and a word the student does not know is a word its average lacks.
   * Undefined without `frequency`, for a word under four letters or over
   * twenty, a non-alphabetic or function word, one the project keeps saying,
   * or one with no known word in reach.
   */
  respelled(word: string, t: Tokenizer): string | undefined {
    const frequency = t.frequency;
    if (
      !frequency ||
      word.length < MIN_RESPELL ||
      word.length > MAX_RESPELL ||
      !LETTERS.test(word) ||
      t.isFunctionWord?.(word) ||
      frequency(word) >= RECURRING
    )
      return undefined;
    let best: string | undefined;
    let most = -1;
    for (const candidate of this.neighbours(word)) {
      const f = frequency(candidate);
      if (f > most) {
        most = f;
        best = candidate;
      }
    }
    return best;
  }

  /**
   * Each word's respelling (`respelled`), undefined where it stays as
   * written; undefined for the whole text unless most of its content words
   * are known as written: a slip is the odd word out of a sentence the
   * student reads, not every word of a language it does not. The first
   * MAX_SLIPS unknown words are searched; the rest stay as written.
   */
  spellings(ws: readonly string[], t: Tokenizer): (string | undefined)[] | undefined {
    if (!t.frequency) return undefined;
    let content = 0;
    const unknown: number[] = [];
    ws.forEach((w, i) => {
      if (t.isStopword(w)) return;
      content++;
      if (!this.knows(w, t.stem(w))) unknown.push(i);
    });
    if (unknown.length === 0 || unknown.length * 2 > content) return undefined;
    const out: (string | undefined)[] = new Array(ws.length).fill(undefined);
    for (const i of unknown.slice(0, MAX_SLIPS)) out[i] = this.respelled(ws[i] as string, t);
    return out;
  }

  /** Whether the student has a row for `word`, or for `stemmed`, its stem. */
  knows(word: string, stemmed = word): boolean {
    return this.index.has(word) || this.index.has(stemmed);
  }

  /** The known words one slip from `word`, in `respelled`'s order of preference (cached). */
  neighbours(word: string): readonly string[] {
    const cached = this.nearby.get(word);
    if (cached) return cached;
    const found = new Set<string>();
    const add = (w: string) => {
      if (this.index.has(w)) found.add(w);
    };
    for (let i = 0; i + 1 < word.length; i++)
      add(word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2));
    for (let i = 0; i < word.length; i++) add(word.slice(0, i) + word.slice(i + 1));
    for (let i = 0; i <= word.length; i++)
      for (const c of ALPHABET) add(word.slice(0, i) + c + word.slice(i));
    for (let i = 0; i < word.length; i++)
      for (const c of ALPHABET) if (c !== word[i]) add(word.slice(0, i) + c + word.slice(i + 1));
    const out = [...found];
    if (this.nearby.size >= NEIGHBOUR_CACHE) this.nearby.clear();
    this.nearby.set(word, out);
    return out;
  }

  /**
   * Adds the text's vector into `out` at `offset` (unnormalised); false, and
   * nothing written, when no word of the text is known. `coverage` as `tokens`.
   */
  encodeInto(
    text: string | ReadText,
    t: Tokenizer,
    out: Float32Array,
    offset = 0,
    coverage?: StudentCoverage,
  ): boolean {
    const tokens = this.tokens(text, t, coverage);
    const { input: E, hidden: H, output: O, words: nWords } = this.shape;
    // Locals, not this.*, inside the loops: V8 then keeps the arrays in registers.
    const { x, h, y, rows, scales, b1, b2, at, matvec } = this;
    x.fill(0);
    let total = 0;
    let known = 0;
    for (const { row, weight } of tokens) {
      if (row < nWords) known++;
      const w = weight * (scales[row] as number);
      const base = row * E;
      for (let c = 0; c < E; c++) x[c] = (x[c] as number) + w * (rows[base + c] as number);
      total += weight;
    }
    if (known === 0 || total <= 0) return false;
    const inv = 1 / total;
    for (let c = 0; c < E; c++) x[c] = (x[c] as number) * inv;
    h.set(b1);
    matvec(at.w1, at.x, at.h, H, E);
    for (let j = 0; j < H; j++) h[j] = Math.tanh(h[j] as number);
    y.set(b2);
    matvec(at.w2, at.h, at.y, O, H);
    matvec(at.p, at.x, at.y, O, E);
    for (let o = 0; o < O; o++) out[offset + o] = (out[offset + o] as number) + (y[o] as number);
    return true;
  }
}

export function pairBucket(a: string, b: string, buckets: number): number {
  return (fmix(fnv1a(`${a} ${b}`, PAIR_SEED)) >>> 0) % buckets;
}

function layout(s: StudentShape) {
  const n = s.words + s.buckets;
  const rowsAt = HEADER_BYTES + 8 * n;
  const w1At = rowsAt + n * s.input + ((4 - ((n * s.input) % 4)) % 4);
  const b1At = w1At + 4 * s.hidden * s.input;
  const w2At = b1At + 4 * s.hidden;
  const b2At = w2At + 4 * s.output * s.hidden;
  const pAt = b2At + 4 * s.output;
  const textAt = pAt + 4 * s.output * s.input;
  return { rowsAt, w1At, b1At, w2At, b2At, pAt, textAt };
}

/**
 * The binary form `SentenceStudent.parse` reads, little endian: "OVS1", uint32
 * words, input, hidden, output, buckets, float32 stop-word weight; float32
 * scale[words + buckets]; float32 gate[words + buckets]; int8 rows[(words + buckets) × input] (padded to 4
 * bytes); float32 w1[hidden × input], b1[hidden], w2[output × hidden],
 * b2[output], p[output × input]; then the words as UTF-8 joined by "\n".
 */
export function encodeStudent(weights: StudentWeights): Uint8Array {
  const { shape, words } = weights;
  const n = shape.words + shape.buckets;
  if (words.length !== shape.words)
    throw new Error(`encodeStudent: ${words.length} words, shape says ${shape.words}`);
  for (const w of words)
    if (w.length === 0 || w.includes('\n')) throw new Error(`encodeStudent: bad word ${JSON.stringify(w)}`);
  const expect: [string, ArrayLike<number>, number][] = [
    ['gates', weights.gates, n],
    ['rows', weights.rows, n * shape.input],
    ['w1', weights.w1, shape.hidden * shape.input],
    ['b1', weights.b1, shape.hidden],
    ['w2', weights.w2, shape.output * shape.hidden],
    ['b2', weights.b2, shape.output],
    ['p', weights.p, shape.output * shape.input],
  ];
  for (const [name, a, len] of expect)
    if (a.length !== len) throw new Error(`encodeStudent: ${name} has ${a.length} values, expected ${len}`);
  const sizes = layout(shape);
  const text = new TextEncoder().encode(words.join('\n'));
  const out = new Uint8Array(sizes.textAt + text.length);
  const view = new DataView(out.buffer);
  for (const [i, v] of [MAGIC, shape.words, shape.input, shape.hidden, shape.output, shape.buckets].entries())
    view.setUint32(4 * i, v, true);
  view.setFloat32(24, shape.stopWeight, true);
  const values = new Int8Array(out.buffer, sizes.rowsAt, n * shape.input);
  const E = shape.input;
  for (let i = 0; i < n; i++) {
    let maxAbs = 0;
    for (let c = 0; c < E; c++) maxAbs = Math.max(maxAbs, Math.abs(weights.rows[i * E + c] as number));
    const scale = maxAbs / 127 || 1;
    view.setFloat32(HEADER_BYTES + 4 * i, scale, true);
    for (let c = 0; c < E; c++) values[i * E + c] = Math.round((weights.rows[i * E + c] as number) / scale);
  }
  const put = (at: number, a: ArrayLike<number>) => {
    for (let i = 0; i < a.length; i++) view.setFloat32(at + 4 * i, a[i] as number, true);
  };
  put(HEADER_BYTES + 4 * n, weights.gates);
  put(sizes.w1At, weights.w1);
  put(sizes.b1At, weights.b1);
  put(sizes.w2At, weights.w2);
  put(sizes.b2At, weights.b2);
  put(sizes.pAt, weights.p);
  out.set(text, sizes.textAt);
  return out;
}
