/**
 * The drain's normalize → score → rows transform on worker threads, so scoring
 * runs on another core and the HTTP event loop only pays for handing batches
 * over and taking rows back (structured clones, one chunk per message so no
 * single copy stalls it for long).
 *
 * Same rows as the in-process transform, in the same order. A transform error
 * rejects with the worker's message, so the drain's poison isolation works as
 * before. A worker that dies mid-chunk is replaced and its chunks run again
 * (the transform is deterministic and nothing is inserted here, so a retry
 * cannot duplicate anything); a chunk that kills its worker every time is
 * rejected, so the drain dead-letters it entry by entry. A replacement that
 * cannot even start means the thread environment itself is broken: rejecting
 * would dead-letter good data, so the pool falls back to the in-process
 * transform and says so.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { scorers as registry } from '@oversight/scorers';
import type { Row } from '../../store/store.ts';
import type { PositionedBatch } from '../drain/drain.ts';
import { createYieldingBatchTransform } from './batch-transform.ts';

/** What a worker builds its transform from: plain data, since scorers cannot cross a thread boundary. */
export interface TransformWorkerOptions {
  maxTextChars: number;
  /** Scorer names as in the `@oversight/scorers` registry. */
  evaluators: readonly string[];
  /** Per-evaluator threshold overrides; labels follow `score >= threshold`. */
  thresholds?: Record<string, number>;
}

export interface TransformWorkersSettings {
  /** Worker threads (default 1). Chunks of one call are spread over them. */
  workers?: number;
  /** Spans per message to a worker (default 256); a log entry is never split. */
  chunkSpans?: number;
  /** Chunks handed to one worker ahead of its results (default 2: it never waits for the next). */
  inFlightPerWorker?: number;
  /** Fresh workers a chunk may be retried on after its worker died under it (default 1). */
  crashRetries?: number;
  /** Told when a worker dies or the pool falls back to in-process work. */
  onWarning?: (message: string) => void;
  /** Worker entry module (default `worker-thread.ts` beside this file). */
  entry?: URL;
}

export interface TransformWorkerStats {
  workers: number;
  chunks: number;
  crashes: number;
  /** Workers could not be started again: chunks run on the calling thread. */
  inProcess: boolean;
}

export interface TransformWorkers {
  /** The drain's `toRows`. Rejects with the transform's own error for a batch it cannot convert. */
  toRows(batches: readonly PositionedBatch[]): Promise<Map<string, Row[]>>;
  stats(): TransformWorkerStats;
  /** Terminates the workers; calls still pending reject. */
  close(): Promise<void>;
}

/** Main thread → worker. */
export interface ChunkRequest {
  id: number;
  batches: readonly PositionedBatch[];
}

/** Worker → main thread. */
export type ChunkReply =
  | { type: 'ready' }
  | { type: 'rows'; id: number; tables: Map<string, Row[]> }
  | { type: 'error'; id: number; name: string; message: string; stack: string };

/** One worker by default where a second core exists; the transform stays in-process on one core. */
export function defaultTransformWorkers(cores = availableParallelism()): number {
  return cores >= 2 ? 1 : 0;
}

interface Call {
  results: (Map<string, Row[]> | undefined)[];
  remaining: number;
  done: boolean;
  resolve: (tables: Map<string, Row[]>) => void;
  reject: (error: Error) => void;
}

interface Job {
  id: number;
  call: Call;
  index: number;
  batches: readonly PositionedBatch[];
  crashes: number;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  inFlight: Map<number, Job>;
  lastError: Error | undefined;
}

/** Consecutive entries grouped up to `maxSpans` spans; an entry bigger than that is a chunk of its own. */
function chunk(batches: readonly PositionedBatch[], maxSpans: number): PositionedBatch[][] {
  const chunks: PositionedBatch[][] = [];
  let current: PositionedBatch[] = [];
  let spans = 0;
  for (const batch of batches) {
    if (current.length > 0 && spans + batch.spans.length > maxSpans) {
      chunks.push(current);
      current = [];
      spans = 0;
    }
    current.push(batch);
    spans += batch.spans.length;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function mergeInOrder(results: readonly (Map<string, Row[]> | undefined)[]): Map<string, Row[]> {
  const merged = new Map<string, Row[]>();
  for (const tables of results) {
    if (!tables) continue;
    for (const [table, rows] of tables) {
      const into = merged.get(table);
      // A loop, not push(...rows): a spread of 100k rows overflows the stack.
      if (into) for (const row of rows) into.push(row);
      else merged.set(table, rows);
    }
  }
  return merged;
}

function workerError(reply: Extract<ChunkReply, { type: 'error' }>): Error {
  const error = new Error(reply.message);
  error.name = reply.name;
  error.stack = reply.stack || `${reply.name}: ${reply.message}`;
  return error;
}

/** Starts the workers; resolves once every one has built its transform, rejects if one cannot. */
export async function startTransformWorkers(
  options: TransformWorkerOptions,
  settings: TransformWorkersSettings = {},
): Promise<TransformWorkers> {
  const unknown = options.evaluators.filter((name) => !registry[name]);
  if (unknown.length > 0)
    throw new Error(`unknown evaluator ${unknown.join(', ')}; known: ${Object.keys(registry).join(', ')}`);
  const size = settings.workers ?? 1;
  if (!Number.isInteger(size) || size < 1) throw new Error(`transform workers must be ≥ 1, got ${size}`);
  const chunkSpans = Math.max(1, settings.chunkSpans ?? 256);
  const inFlightPerWorker = Math.max(1, settings.inFlightPerWorker ?? 2);
  const crashRetries = Math.max(0, settings.crashRetries ?? 1);
  const entry =
    settings.entry ??
    new URL(import.meta.url.endsWith('.ts') ? './worker-thread.ts' : './worker-thread.js', import.meta.url);
  const warn = settings.onWarning ?? (() => {});
  const workerData: TransformWorkerOptions = {
    maxTextChars: options.maxTextChars,
    evaluators: [...options.evaluators],
    thresholds: { ...(options.thresholds ?? {}) },
  };

  let closed = false;
  let nextJobId = 0;
  let crashes = 0;
  let chunks = 0;
  let started = false;
  let inProcess: ReturnType<typeof createYieldingBatchTransform> | undefined;
  let inProcessChain: Promise<void> = Promise.resolve();
  const queue: Job[] = [];
  const slots: Slot[] = [];
  const pending = new Set<Call>();
  let startup: { resolve: () => void; reject: (error: Error) => void } | undefined;

  const fail = (call: Call, error: Error) => {
    if (call.done) return;
    call.done = true;
    pending.delete(call);
    for (let i = queue.length - 1; i >= 0; i--) if ((queue[i] as Job).call === call) queue.splice(i, 1);
    call.reject(error);
  };

  const complete = (job: Job, tables: Map<string, Row[]>) => {
    const { call } = job;
    if (call.done) return;
    call.results[job.index] = tables;
    if (--call.remaining > 0) return;
    call.done = true;
    pending.delete(call);
    call.resolve(mergeInOrder(call.results));
  };

  // An idle worker must not keep the process alive; a busy one must.
  const updateRef = (slot: Slot) => (slot.inFlight.size > 0 ? slot.worker.ref() : slot.worker.unref());

  const runInProcess = (job: Job) => {
    inProcessChain = inProcessChain.then(async () => {
      if (job.call.done || closed) return;
      try {
        complete(job, await (inProcess as NonNullable<typeof inProcess>)(job.batches as PositionedBatch[]));
      } catch (err) {
        fail(job.call, err instanceof Error ? err : new Error(String(err)));
      }
    });
  };

  const pump = () => {
    if (closed) return;
    if (inProcess) {
      for (const job of queue.splice(0)) runInProcess(job);
      return;
    }
    while (queue.length > 0) {
      let target: Slot | undefined;
      for (const slot of slots) {
        if (slot.inFlight.size >= inFlightPerWorker) continue;
        if (!target || slot.inFlight.size < target.inFlight.size) target = slot;
      }
      if (!target) return;
      const job = queue.shift() as Job;
      try {
        target.worker.postMessage({ id: job.id, batches: job.batches } satisfies ChunkRequest);
      } catch (err) {
        // Nothing a worker could do about a batch that cannot be cloned: it is the batch's fault.
        fail(job.call, err instanceof Error ? err : new Error(String(err)));
        continue;
      }
      target.inFlight.set(job.id, job);
      chunks++;
      updateRef(target);
    }
  };

  const fallBackToInProcess = (reason: string) => {
    warn(`transform worker could not be started again (${reason}); transforming on the main thread`);
    inProcess = createYieldingBatchTransform({
      maxTextChars: options.maxTextChars,
      scorers: options.evaluators.map((name) => registry[name] as NonNullable<(typeof registry)[string]>),
      thresholds: { ...(options.thresholds ?? {}) },
    });
    for (const slot of slots) {
      for (const job of slot.inFlight.values()) queue.push(job);
      slot.inFlight.clear();
      void slot.worker.terminate();
    }
    queue.sort((a, b) => a.id - b.id);
    slots.length = 0;
    pump();
  };

  const spawn = (): Slot => {
    const slot: Slot = {
      worker: new Worker(entry, { workerData }),
      ready: false,
      inFlight: new Map(),
      lastError: undefined,
    };
    slot.worker.on('message', (reply: ChunkReply) => {
      if (reply.type === 'ready') {
        slot.ready = true;
        if (!started && slots.every((s) => s.ready)) startup?.resolve();
        return;
      }
      const job = slot.inFlight.get(reply.id);
      if (!job) return;
      slot.inFlight.delete(reply.id);
      if (reply.type === 'rows') complete(job, reply.tables);
      else fail(job.call, workerError(reply));
      updateRef(slot);
      pump();
    });
    slot.worker.on('error', (error) => {
      slot.lastError = error;
    });
    slot.worker.on('exit', (code) => {
      const index = slots.indexOf(slot);
      if (closed || index === -1) return;
      const reason = slot.lastError ? slot.lastError.message : `exit code ${code}`;
      if (!slot.ready) {
        if (!started) return startup?.reject(new Error(`transform worker failed to start: ${reason}`));
        return fallBackToInProcess(reason);
      }
      crashes++;
      warn(`transform worker died (${reason}); replacing it and retrying its ${slot.inFlight.size} chunk(s)`);
      const retry: Job[] = [];
      for (const job of slot.inFlight.values()) {
        job.crashes++;
        if (job.crashes > crashRetries)
          fail(job.call, new Error(`transform worker died transforming this batch: ${reason}`));
        else if (!job.call.done) retry.push(job);
      }
      queue.unshift(...retry);
      slots[index] = spawn();
      pump();
    });
    return slot;
  };

  for (let i = 0; i < size; i++) slots.push(spawn());
  try {
    await new Promise<void>((resolve, reject) => {
      startup = { resolve, reject };
    });
  } catch (error) {
    closed = true;
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
    throw error;
  }
  started = true;
  for (const slot of slots) updateRef(slot);

  return {
    toRows(batches) {
      if (closed) return Promise.reject(new Error('transform workers are closed'));
      if (batches.length === 0) return Promise.resolve(new Map());
      return new Promise((resolve, reject) => {
        const parts = chunk(batches, chunkSpans);
        const call: Call = {
          results: new Array(parts.length),
          remaining: parts.length,
          done: false,
          resolve,
          reject,
        };
        pending.add(call);
        parts.forEach((part, index) => {
          queue.push({ id: nextJobId++, call, index, batches: part, crashes: 0 });
        });
        pump();
      });
    },
    stats() {
      return { workers: slots.length, chunks, crashes, inProcess: inProcess !== undefined };
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const call of [...pending]) fail(call, new Error('transform workers are closed'));
      queue.length = 0;
      await Promise.all(slots.map((slot) => slot.worker.terminate()));
      await inProcessChain;
    },
  };
}
