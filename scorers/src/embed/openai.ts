/**
 * Any OpenAI-compatible `/embeddings` endpoint (OpenAI, Azure, vLLM, Ollama,
 * LiteLLM, text-embeddings-inference): batched POSTs, responses validated,
 * vectors returned in input order and L2-normalised.
 */
import { z } from 'zod';
import { type Embedder, normalizeInPlace } from './types.ts';

export interface OpenAIEmbedderOptions {
  /** Base URL up to and including the version, e.g. `https://api.openai.com/v1`. */
  baseURL: string;
  model: string;
  apiKey?: string;
  /** Width the model returns; checked against every response. Learned from the first response if absent. */
  dimension?: number;
  /** Inputs per request (default 128). */
  batchSize?: number;
  /** Per-request timeout in ms (default 30 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

const responseSchema = z.object({
  data: z
    .array(
      z.object({
        index: z.number().int().nonnegative(),
        embedding: z.array(z.number()),
      }),
    )
    .min(1),
});

export class OpenAIEmbedder implements Embedder {
  readonly model: string;
  private width: number | undefined;
  private readonly url: string;
  private readonly options: OpenAIEmbedderOptions;

  constructor(options: OpenAIEmbedderOptions) {
    this.options = options;
    this.model = options.model;
    this.width = options.dimension;
    this.url = `${options.baseURL.replace(/\/+$/, '')}/embeddings`;
  }

  get id(): string {
    return `openai:${this.model}:${this.width ?? '?'}`;
  }

  get dimension(): number {
    return this.width ?? 0;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    const size = this.options.batchSize ?? 128;
    for (let i = 0; i < texts.length; i += size) out.push(...(await this.request(texts.slice(i, i + size))));
    return out;
  }

  private async request(input: readonly string[]): Promise<Float32Array[]> {
    const doFetch = this.options.fetch ?? fetch;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    const res = await doFetch(this.url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model: this.model, input, encoding_format: 'float' }),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
    });
    const body = await res.text();
    if (!res.ok) throw new Error(`embeddings ${this.url}: HTTP ${res.status} ${body.slice(0, 200)}`);
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch (err) {
      throw new Error(`embeddings ${this.url}: response is not JSON (${(err as Error).message})`);
    }
    const parsed = responseSchema.safeParse(json);
    if (!parsed.success)
      throw new Error(
        `embeddings ${this.url}: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`,
      );
    const data = parsed.data.data;
    if (data.length !== input.length)
      throw new Error(`embeddings ${this.url}: ${data.length} vectors for ${input.length} inputs`);
    const vectors: Float32Array[] = new Array(input.length);
    for (const d of data) {
      if (d.index >= input.length || vectors[d.index])
        throw new Error(`embeddings ${this.url}: bad or repeated index ${d.index}`);
      this.width ??= d.embedding.length;
      if (d.embedding.length !== this.width)
        throw new Error(`embeddings ${this.url}: width ${d.embedding.length}, expected ${this.width}`);
      vectors[d.index] = normalizeInPlace(Float32Array.from(d.embedding));
    }
    return vectors;
  }
}
