/**
 * A local ONNX sentence-embedding model directory, run with onnxruntime-node
 * (an optional dependency, loaded on first use). The directory holds
 * `model.onnx` and the WordPiece `vocab.txt` of a BERT-family encoder (what a
 * sentence-transformers ONNX export contains). Inputs `input_ids`,
 * `attention_mask` and `token_type_ids` are fed when the graph declares them;
 * a `[batch, tokens, width]` output is mean-pooled over the real tokens, a
 * `[batch, width]` output used as it is.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Embedder, normalizeInPlace } from './types.ts';

export interface OnnxEmbedderOptions {
  /** Directory with `model.onnx` and `vocab.txt`. */
  dir: string;
  /** Tokens per text, special tokens included (default 128). */
  maxTokens?: number;
  /** Output to read (default the first). */
  outputName?: string;
  /** Lower-case before tokenising (default true, as uncased BERT vocabularies expect). */
  lowercase?: boolean;
}

/** Greedy longest-match WordPiece, as BERT's tokenizer does after basic splitting. */
export class WordPiece {
  private readonly vocab: Map<string, number>;
  readonly cls: number;
  readonly sep: number;
  readonly unk: number;
  readonly pad: number;
  private readonly lowercase: boolean;

  constructor(vocabText: string, lowercase = true) {
    this.lowercase = lowercase;
    this.vocab = new Map();
    vocabText.split(/\r?\n/).forEach((t, i) => {
      if (t !== '' && !this.vocab.has(t)) this.vocab.set(t, i);
    });
    const special = (t: string) => {
      const id = this.vocab.get(t);
      if (id === undefined) throw new Error(`vocab.txt has no ${t} token`);
      return id;
    };
    this.cls = special('[CLS]');
    this.sep = special('[SEP]');
    this.unk = special('[UNK]');
    this.pad = this.vocab.get('[PAD]') ?? 0;
  }

  tokenize(text: string, maxTokens: number): number[] {
    let t = text.normalize('NFKC');
    if (this.lowercase) t = t.toLowerCase().normalize('NFD').replace(/\p{M}/gu, '');
    const words = t.match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu) ?? [];
    const ids = [this.cls];
    for (const w of words) {
      if (ids.length >= maxTokens - 1) break;
      const pieces: number[] = [];
      let start = 0;
      while (start < w.length) {
        let end = w.length;
        let found: number | undefined;
        while (end > start) {
          const piece = (start > 0 ? '##' : '') + w.slice(start, end);
          found = this.vocab.get(piece);
          if (found !== undefined) break;
          end--;
        }
        if (found === undefined) {
          pieces.length = 0;
          pieces.push(this.unk);
          break;
        }
        pieces.push(found);
        start = end;
      }
      for (const p of pieces) if (ids.length < maxTokens - 1) ids.push(p);
    }
    ids.push(this.sep);
    return ids;
  }
}

type Ort = typeof import('onnxruntime-node');
type Session = Awaited<ReturnType<Ort['InferenceSession']['create']>>;

export class OnnxEmbedder implements Embedder {
  private width = 0;
  private ready: Promise<{ ort: Ort; session: Session; tokenizer: WordPiece }> | undefined;
  private readonly options: OnnxEmbedderOptions;

  constructor(options: OnnxEmbedderOptions) {
    this.options = options;
  }

  get id(): string {
    const name = this.options.dir.replace(/\/+$/, '').split('/').pop();
    return `onnx:${name}:${this.width || '?'}`;
  }

  get dimension(): number {
    return this.width;
  }

  private load() {
    this.ready ??= (async () => {
      let ort: Ort;
      try {
        ort = await import('onnxruntime-node');
      } catch (err) {
        throw new Error(
          `ONNX embedder needs the optional dependency onnxruntime-node (${(err as Error).message})`,
        );
      }
      const vocab = await readFile(join(this.options.dir, 'vocab.txt'), 'utf8');
      const tokenizer = new WordPiece(vocab, this.options.lowercase ?? true);
      const session = await ort.InferenceSession.create(join(this.options.dir, 'model.onnx'));
      return { ort, session, tokenizer };
    })();
    return this.ready;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const { ort, session, tokenizer } = await this.load();
    const out: Float32Array[] = [];
    // One text per run: no padding, so pooling needs no mask and short texts cost little.
    for (const text of texts) {
      const ids = tokenizer.tokenize(text, this.options.maxTokens ?? 128);
      const n = ids.length;
      const feeds: Record<string, InstanceType<Ort['Tensor']>> = {};
      for (const name of session.inputNames) {
        if (name === 'input_ids')
          feeds[name] = new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, n]);
        else if (name === 'attention_mask')
          feeds[name] = new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]);
        else if (name === 'token_type_ids')
          feeds[name] = new ort.Tensor('int64', new BigInt64Array(n), [1, n]);
        else
          throw new Error(
            `ONNX embedder: model input ${name} is not one of input_ids, attention_mask, token_type_ids`,
          );
      }
      const results = await session.run(feeds);
      const output = results[this.options.outputName ?? (session.outputNames[0] as string)];
      if (!output) throw new Error(`ONNX embedder: model has no output ${this.options.outputName}`);
      const data = output.data as Float32Array;
      const dims = output.dims;
      let v: Float32Array;
      if (dims.length === 3) {
        const width = dims[2] as number;
        v = new Float32Array(width);
        for (let t = 0; t < n; t++)
          for (let j = 0; j < width; j++) v[j] = (v[j] as number) + (data[t * width + j] as number) / n;
      } else if (dims.length === 2) v = Float32Array.from(data.subarray(0, dims[1] as number));
      else throw new Error(`ONNX embedder: output of rank ${dims.length}, expected 2 or 3`);
      this.width ||= v.length;
      out.push(normalizeInPlace(v));
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.ready) await (await this.ready).session.release();
    this.ready = undefined;
  }
}
