/**
 * The query embedding the app already computed for retrieval (sent by the
 * SDK's `retrieve()` helper): free and semantic, so preferred whenever a trace
 * carries one. It is not an embedder that can be called, only a vector to
 * check; vectors of one project and width share a space named `app:<width>`
 * (or the model name the app gave), and other widths never meet them.
 */
import { z } from 'zod';

const vectorSchema = z
  .array(
    z
      .number({ error: 'embedding values must be finite numbers' })
      .refine(Number.isFinite, 'embedding values must be finite numbers'),
  )
  .min(2, 'an embedding needs at least 2 values')
  .max(16_384, 'an embedding has at most 16384 values');

export interface SuppliedEmbedding {
  embedder: string;
  vector: Float32Array;
}

/** Validates and L2-normalises an app-supplied embedding; throws a one-line error on bad input. */
export function suppliedEmbedding(values: unknown, model?: string): SuppliedEmbedding {
  const raw = values instanceof Float32Array || values instanceof Float64Array ? Array.from(values) : values;
  const parsed = vectorSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`supplied embedding: ${parsed.error.issues[0]?.message}`);
  const v = Float32Array.from(parsed.data);
  let sq = 0;
  for (const x of v) sq += x * x;
  if (sq === 0) throw new Error('supplied embedding: the zero vector has no direction');
  const inv = 1 / Math.sqrt(sq);
  for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) * inv;
  const name = model?.trim() ? `app:${model.trim()}:${v.length}` : `app:${v.length}`;
  return { embedder: name, vector: v };
}
