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
 *
 * The trace stage's groundedness scoring runs here too (`score`), so the main
 * event loop keeps only assembly, state and writes. Rows come first: a
 * scoring chunk is handed out only when no rows chunk waits, and a worker has
 * one scoring chunk at a time, so the drain waits for one at most.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { scorers as registry } from '@oversight/scorers';
import {
  type GenerationScores,
  type GenerationText,
  type GroundednessThresholds,
  scoreYielding,
} from '../../enrich/groundedness.ts';
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
  /** Generations per scoring message (default 32: tens of milliseconds of work, so rows never wait long). */
  scoreChunk?: number;
  /** Told when a worker dies or the pool falls back to in-process work. */
  onWarning?: (message: string) => void;
  /** Worker entry module (default `worker-thread.ts` beside this file). */
  entry?: URL;
}

export interface TransformWorkerStats {
  workers: number;
  chunks: number;
  /** Of `chunks`, those that scored generations for the trace stage. */
  scoreChunks: number;
  crashes: number;
  /** Workers could not be started again: chunks run on the calling thread. */
  inProcess: boolean;
}

export interface TransformWorkers {
  /** The drain's `toRows`. Rejects with the transform's own error for a batch it cannot convert. */
  toRows(batches: readonly PositionedBatch[]): Promise<Map<string, Row[]>>;
  /**
   * The groundedness enricher's scoring (a `GenerationScorer`): verdicts in
   * input order. A chunk that kills its worker every time rejects the call, and
   * the trace stage retries the batch later, as it does a failed write.
   */
  score(
    generations: readonly GenerationText[],
    thresholds: GroundednessThresholds,
  ): Promise<GenerationScores[]>;
  stats(): TransformWorkerStats;
  /** Terminates the workers; calls still pending reject. */
  close(): Promise<void>;
}

/** Main thread → worker: batches to transform. */
export interface ChunkRequest {
  id: number;
  batches: readonly PositionedBatch[];
}

/** Main thread → worker: generations of assembled traces to score. */
export interface ScoreRequest {
  id: number;
  score: { generations: readonly GenerationText[]; thresholds: GroundednessThresholds };
}

export type WorkerRequest = ChunkRequest | ScoreRequest;

/** Worker → main thread. */
export type ChunkReply =
  | { type: 'ready' }
  | { type: 'rows'; id: number; tables: Map<string, Row[]> }
  | { type: 'scores'; id: number; scores: GenerationScores[] }
  | { type: 'error'; id: number; name: string; message: string; stack: string };

/** One worker by default where a second core exists; the transform stays in-process on one core. */
export function defaultTransformWorkers(cores = availableParallelism()): number {
  return cores >= 2 ? 1 : 0;
}

type Task =
  | { kind: 'rows'; batches: readonly PositionedBatch[] }
  | { kind: 'score'; generations: readonly GenerationText[]; thresholds: GroundednessThresholds };

type Result = Map<string, Row[]> | GenerationScores[];

interface Call {
  results: (Result | undefined)[];
  remaining: number;
  done: boolean;
  resolve: (results: (Result | undefined)[]) => void;
  reject: (error: Error) => void;
}

interface Job {
  id: number;
  call: Call;
  index: number;
  task: Task;
  crashes: number;
}

const request = (job: Job): WorkerRequest =>
  job.task.kind === 'rows'
    ? { id: job.id, batches: job.task.batches }
    : { id: job.id, score: { generations: job.task.generations, thresholds: job.task.thresholds } };

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

function mergeInOrder(results: readonly (Result | undefined)[]): Map<string, Row[]> {
  const merged = new Map<string, Row[]>();
  for (const tables of results) {
    if (!(tables instanceof Map)) continue;
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
  const scoreChunk = Math.max(1, settings.scoreChunk ?? 32);
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
  let scoreChunks = 0;
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

  const complete = (job: Job, result: Result) => {
    const { call } = job;
    if (call.done) return;
    call.results[job.index] = result;
    if (--call.remaining > 0) return;
    call.done = true;
    pending.delete(call);
    call.resolve(call.results);
  };

  // An idle worker must not keep the process alive; a busy one must.
  const updateRef = (slot: Slot) => (slot.inFlight.size > 0 ? slot.worker.ref() : slot.worker.unref());

  const runInProcess = (job: Job) => {
    inProcessChain = inProcessChain.then(async () => {
      if (job.call.done || closed) return;
      try {
        const { task } = job;
        complete(
          job,
          task.kind === 'rows'
            ? await (inProcess as NonNullable<typeof inProcess>)(task.batches as PositionedBatch[])
            : await scoreYielding(task.generations, task.thresholds),
        );
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
      // Rows first: the drain waits for them; trace scoring takes what is left.
      const rowsAt = queue.findIndex((j) => j.task.kind === 'rows');
      const at = rowsAt === -1 ? 0 : rowsAt;
      const scoring = rowsAt === -1;
      let target: Slot | undefined;
      for (const slot of slots) {
        if (slot.inFlight.size >= inFlightPerWorker) continue;
        if (scoring && [...slot.inFlight.values()].some((j) => j.task.kind === 'score')) continue;
        if (!target || slot.inFlight.size < target.inFlight.size) target = slot;
      }
      if (!target) return;
      const job = queue.splice(at, 1)[0] as Job;
      try {
        target.worker.postMessage(request(job));
      } catch (err) {
        // Nothing a worker could do about a batch that cannot be cloned: it is the batch's fault.
        fail(job.call, err instanceof Error ? err : new Error(String(err)));
        continue;
      }
      target.inFlight.set(job.id, job);
      chunks++;
      if (scoring) scoreChunks++;
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
      else if (reply.type === 'scores') complete(job, reply.scores);
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

  /** Queues one call's tasks; resolves with their results in task order. */
  const submit = (tasks: Task[]): Promise<(Result | undefined)[]> =>
    new Promise((resolve, reject) => {
      const call: Call = {
        results: new Array(tasks.length),
        remaining: tasks.length,
        done: false,
        resolve,
        reject,
      };
      pending.add(call);
      tasks.forEach((task, index) => {
        queue.push({ id: nextJobId++, call, index, task, crashes: 0 });
      });
      pump();
    });

  return {
    async toRows(batches) {
      if (closed) throw new Error('transform workers are closed');
      if (batches.length === 0) return new Map();
      const parts = chunk(batches, chunkSpans);
      return mergeInOrder(await submit(parts.map((part) => ({ kind: 'rows', batches: part }))));
    },
    async score(generations, thresholds) {
      if (closed) throw new Error('transform workers are closed');
      if (generations.length === 0) return [];
      const tasks: Task[] = [];
      for (let i = 0; i < generations.length; i += scoreChunk)
        tasks.push({ kind: 'score', generations: generations.slice(i, i + scoreChunk), thresholds });
      const out: GenerationScores[] = [];
      for (const part of await submit(tasks)) for (const s of part as GenerationScores[]) out.push(s);
      return out;
    },
    stats() {
      return { workers: slots.length, chunks, scoreChunks, crashes, inProcess: inProcess !== undefined };
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
