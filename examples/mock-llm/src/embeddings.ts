/**
 * `POST /v1/embeddings`: a hashed bag of words, L2-normalised, so texts that
 * share words have a positive cosine similarity and identical texts embed
 * identically. Honours `dimensions` and `encoding_format` (the official
 * client asks for base64 little-endian float32 by default).
 */
import { type HandlerContext, isRecord, numberOrUndefined } from './context.ts';
import { sendJson } from './http.ts';
import { countTokens } from './text.ts';

const defaultDimensions = (model: string): number => (/large/.test(model) ? 3072 : 1536);

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export function embedText(text: string, dimensions: number): Float32Array {
  const vector = new Float32Array(dimensions);
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  for (const word of words) {
    const h = fnv1a(word);
    const i = h % dimensions;
    vector[i] = (vector[i] ?? 0) + (h & 0x80000000 ? -1 : 1);
  }
  let norm = 0;
  for (const v of vector) norm += v * v;
  if (norm === 0) {
    // An empty text still gets a unit vector, as a real model would return.
    vector[0] = 1;
    return vector;
  }
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < dimensions; i += 1) vector[i] = (vector[i] ?? 0) * scale;
  return vector;
}

/** Token-array inputs (arrays of numbers) embed as their numbers joined by spaces. */
function inputTexts(input: unknown): string[] | null {
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input) || input.length === 0) return null;
  if (input.every((x) => typeof x === 'number')) return [input.join(' ')];
  if (input.every((x) => typeof x === 'string')) return input as string[];
  if (input.every((x) => Array.isArray(x))) return (input as unknown[][]).map((x) => x.join(' '));
  return null;
}

export function embeddings(ctx: HandlerContext): boolean {
  const { body } = ctx;
  const model = String(body.model);
  const texts = inputTexts(body.input);
  if (!texts) return false;
  const dimensions = numberOrUndefined(body.dimensions) ?? defaultDimensions(model);
  const base64 = body.encoding_format === 'base64';
  const data = texts.map((text, index) => {
    const vector = embedText(text, dimensions);
    return {
      object: 'embedding',
      index,
      embedding: base64
        ? Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64')
        : Array.from(vector),
    };
  });
  const tokens = texts.reduce((sum, t) => sum + Math.max(1, countTokens(t)), 0);
  sendJson(
    ctx.res,
    200,
    { object: 'list', data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } },
    { 'x-request-id': `req_${Date.now()}` },
  );
  return true;
}

export function isEmbeddingRequest(body: unknown): body is Record<string, unknown> {
  return isRecord(body) && body.input !== undefined;
}
