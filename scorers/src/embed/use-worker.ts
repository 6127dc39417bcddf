/**
 * The worker thread of UseEmbedder (use.ts): it alone loads the Universal
 * Sentence Encoder lite and runs its forward passes, so the ~10 ms a question
 * of CPU never lands on the thread that asked. The model loads on the first
 * request; a load that fails fails every request with the same message (the
 * packages will not appear while the process runs).
 *
 * Protocol: `{ id, texts }` in; `{ id, data, width }` out (the vectors one
 * after another in a transferred Float32Array), or `{ id, error, missing }`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { z } from 'zod';
import { questionText } from './types.ts';

const dataSchema = z.object({
  embeddingsModule: z.string().min(1),
  modelModule: z.string().min(1),
  batchSize: z.number().int().positive(),
});
const requestSchema = z.object({ id: z.number().int(), texts: z.array(z.string()) });

interface UseModel {
  embed(texts: string[]): Promise<unknown>;
}

const settings = dataSchema.parse(workerData);
const port = parentPort;
if (!port) throw new Error('use-worker.ts runs as a worker thread (UseEmbedder starts it)');

class MissingPackageError extends Error {}

async function load(): Promise<UseModel> {
  let embeddings: { initModel?: (source: unknown) => Promise<UseModel> };
  let weights: { modelSource?: unknown };
  try {
    [embeddings, weights] = await Promise.all([
      import(settings.embeddingsModule),
      import(settings.modelModule),
    ]);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND')
      throw new MissingPackageError((error as Error).message);
    throw error;
  }
  if (typeof embeddings.initModel !== 'function' || weights.modelSource === undefined)
    throw new Error(
      `${settings.embeddingsModule} has no initModel() or ${settings.modelModule} no modelSource (version mismatch?)`,
    );
  return embeddings.initModel(weights.modelSource);
}

let model: Promise<UseModel> | undefined;

/**
 * Whether USE-lite can read a text: its vocabulary is English sentence pieces,
 * so a text mostly in another script (Chinese, Cyrillic, Arabic, ...) is
 * unknown pieces to it, and those texts' vectors lie close together whatever
 * they say ("我的转账失败了" and "パスワードを変更したい" at cosine 0.5 once
 * centred). Readable: half of its letters at least are Latin.
 */
function readable(text: string): boolean {
  // ASCII (most traffic) needs no count.
  if (!/[\u0080-\uffff]/.test(text)) return true;
  const letters = text.replace(/\P{L}/gu, '').length;
  const latin = text.replace(/\P{Script=Latin}/gu, '').length;
  return letters === 0 || latin * 2 >= letters;
}

/** The model's rows (number[][]) as one flat array, checked. */
function flatten(out: unknown, count: number): { data: Float32Array; width: number } {
  if (!Array.isArray(out) || out.length !== count)
    throw new Error(`the encoder returned ${Array.isArray(out) ? out.length : 'no'} rows for ${count} texts`);
  const rows = out as ArrayLike<number>[];
  const width = rows[0]?.length ?? 0;
  const data = new Float32Array(count * width);
  rows.forEach((r, i) => {
    if (r.length !== width) throw new Error('the encoder returned rows of different widths');
    data.set(r, i * width);
  });
  return { data, width };
}

// Requests are served one at a time, in arrival order: the caller's running
// state (the mean the vectors are centred on) depends on that order.
let queue: Promise<void> = Promise.resolve();

port.on('message', (message: unknown) => {
  queue = queue.then(async () => {
    const parsed = requestSchema.safeParse(message);
    if (!parsed.success) {
      port.postMessage({ id: -1, error: `bad request to the USE worker: ${parsed.error.message}` });
      return;
    }
    const { id, texts } = parsed.data;
    try {
      model ??= load();
      const m = await model;
      // An empty text makes the model throw (no tokens), and one the model cannot read would take
      // its time to say nothing: both get the zero vector, which the embedder reads as no encoder part.
      // The forward pass grows with the length: a pasted document would hold the worker for seconds.
      const cut = texts.map((t) => questionText(t));
      const kept = cut.flatMap((t, i) => (t.trim() === '' || !readable(t) ? [] : [i]));
      const parts: Float32Array[] = [];
      let width = 0;
      for (let i = 0; i < kept.length; i += settings.batchSize) {
        const batch = kept.slice(i, i + settings.batchSize).map((k) => cut[k] as string);
        const out = flatten(await m.embed(batch), batch.length);
        width = out.width;
        parts.push(out.data);
      }
      // All empty: no forward pass told the width; USE-lite's is 512.
      width ||= 512;
      const data = new Float32Array(texts.length * width);
      let row = 0;
      for (const p of parts)
        for (let j = 0; j < p.length / width; j++, row++)
          data.set(p.subarray(j * width, (j + 1) * width), (kept[row] as number) * width);
      port.postMessage({ id, data, width }, [data.buffer]);
    } catch (error) {
      port.postMessage({
        id,
        error: (error as Error).message,
        missing: error instanceof MissingPackageError,
      });
    }
  });
});
