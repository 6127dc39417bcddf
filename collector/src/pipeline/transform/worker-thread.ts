/**
 * Worker-thread entry of `worker-pool.ts`: builds the same batch transform
 * the collector would run in-process, from options that survive a structured
 * clone (scorers travel by name), and answers each chunk of batches with its
 * rows per table, or with the error the transform threw. Generations the trace
 * stage sends are scored with the groundedness enricher's own pure function.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { scorers as registry } from '@oversight/scorers';
import { scoreGenerationText } from '../../enrich/groundedness.ts';
import { createBatchTransform } from './batch-transform.ts';
import type { ChunkReply, TransformWorkerOptions, WorkerRequest } from './worker-pool.ts';

const port = parentPort;
if (!port) throw new Error('worker-thread.ts runs as a worker thread, started by worker-pool.ts');

const options = workerData as TransformWorkerOptions;
const toRows = createBatchTransform({
  maxTextChars: options.maxTextChars,
  scorers: options.evaluators.map((name) => {
    const scorer = registry[name];
    if (!scorer) throw new Error(`unknown evaluator "${name}" in the transform worker`);
    return scorer;
  }),
  thresholds: options.thresholds ?? {},
});

port.on('message', (message: WorkerRequest) => {
  let reply: ChunkReply;
  const { id } = message;
  try {
    if ('score' in message) {
      const { generations, thresholds } = message.score;
      reply = { type: 'scores', id, scores: generations.map((g) => scoreGenerationText(g, thresholds)) };
    } else reply = { type: 'rows', id, tables: toRows(message.batches) };
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    reply = { type: 'error', id, name: error.name, message: error.message, stack: error.stack ?? '' };
  }
  port.postMessage(reply);
});

port.postMessage({ type: 'ready' } satisfies ChunkReply);
