/**
 * End-to-end ingest: spans per second from the first export to the last row
 * being queryable, through a collector in its own process, fed by the real
 * OTLP protobuf exporter with several requests in flight. Run with all
 * scorers (transform on a worker thread, the default, and in-process) and with none, next to a raw chdb insert of the same rows in
 * another process (the baseline: what storage alone costs on this machine now).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startCollectorProcess } from '../collector-process.ts';
import { makeGenAiSpans } from '../genai-spans.ts';
import { createSender } from '../otlp-sender.ts';
import { note, printTable } from '../report.ts';
import { chunk, type Figures, type Section, type SectionOptions } from '../section.ts';
import { round, sleep } from '../stats.ts';

/** BatchSpanProcessor's default maxExportBatchSize. */
const BATCH = 512;
const IN_FLIGHT = 4;
/** A collector that stores nothing new for this long is stuck, not slow. */
const NO_PROGRESS_MS = 30_000;

interface PathResult {
  spans: number;
  seconds: number;
  cpuSeconds: number;
  peakRssMb: number;
  /** Longest event-loop stall while measured: how long a request or health check could hang. */
  loopDelayMaxMs: number;
  failedRequests?: number;
}

async function storedCounts(sql: (q: string) => Promise<string>): Promise<number> {
  const text = await sql(
    'SELECT (SELECT count() FROM oversight.otel_traces), (SELECT count() FROM oversight.llm_spans)',
  );
  const [traces, llm] = text.trim().split('\t').map(Number);
  return Math.min(traces ?? 0, llm ?? 0);
}

/**
 * Starts the collector child with `transformWorkers` (undefined: its default).
 * The child reads it from `OVERSIGHT_TRANSFORM_WORKERS`, as the CLI does, since
 * `startCollectorProcess` passes only the evaluators; set just for the fork.
 */
async function startWith(evaluators: string, transformWorkers: number | undefined) {
  const saved = process.env.OVERSIGHT_TRANSFORM_WORKERS;
  if (transformWorkers === undefined) delete process.env.OVERSIGHT_TRANSFORM_WORKERS;
  else process.env.OVERSIGHT_TRANSFORM_WORKERS = String(transformWorkers);
  try {
    return await startCollectorProcess({ evaluators });
  } finally {
    if (saved === undefined) delete process.env.OVERSIGHT_TRANSFORM_WORKERS;
    else process.env.OVERSIGHT_TRANSFORM_WORKERS = saved;
  }
}

async function throughCollector(
  spans: Awaited<ReturnType<typeof makeGenAiSpans>>,
  evaluators: string,
  transformWorkers?: number,
): Promise<PathResult> {
  const collector = await startWith(evaluators, transformWorkers);
  try {
    const sender = createSender(collector.url);
    const batches = chunk(spans, BATCH);
    const before = await collector.stats();
    collector.resetLoopDelay();
    const started = performance.now();
    let next = 0;
    let accepted = 0;
    let failed = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < batches.length) {
          const batch = batches[next++] as (typeof batches)[number];
          const result = await sender.send(batch);
          if (result.ok) accepted += batch.length;
          else failed++;
        }
      }),
    );
    let stored = await storedCounts(collector.sql);
    let progressAt = Date.now();
    while (stored < accepted && Date.now() - progressAt < NO_PROGRESS_MS) {
      await sleep(20);
      const next = await storedCounts(collector.sql);
      if (next > stored) progressAt = Date.now();
      stored = next;
    }
    const seconds = (performance.now() - started) / 1000;
    if (stored < accepted) {
      const state = await Promise.all(
        ['oversight_queue_depth', 'oversight_spans_rejected_total', 'oversight_rows_written_total'].map(
          async (name) => `${name} ${await collector.metric(name)}`,
        ),
      );
      throw new Error(
        `only ${stored} of ${accepted} accepted spans were stored, none more for ${NO_PROGRESS_MS / 1000} s (${state.join(', ')})`,
      );
    }
    const after = await collector.stats();
    await sender.shutdown();
    const final = await collector.stop();
    return {
      spans: stored,
      seconds,
      cpuSeconds: (after.cpuMs - before.cpuMs) / 1000,
      peakRssMb: final.peakRssMb,
      loopDelayMaxMs: after.loopDelayMaxMs,
      failedRequests: failed,
    };
  } finally {
    await collector.stop();
  }
}

function rawInsert(spans: number): Promise<PathResult> {
  const child = fork(
    fileURLToPath(new URL('../insert-child.ts', import.meta.url)),
    [JSON.stringify({ spans, batch: BATCH })],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  type Done = Omit<PathResult, 'spans' | 'seconds' | 'cpuSeconds'> & {
    type: string;
    ms: number;
    stored: number;
    cpuMs: number;
  };
  return new Promise((resolve, reject) => {
    child.on('message', (m: Done) => {
      if (m.type !== 'done') return;
      resolve({
        spans: m.stored,
        seconds: m.ms / 1000,
        cpuSeconds: m.cpuMs / 1000,
        peakRssMb: m.peakRssMb,
        loopDelayMaxMs: m.loopDelayMaxMs,
      });
    });
    child.on('exit', (code) =>
      reject(new Error(`raw insert child exited with code ${code} before reporting`)),
    );
  });
}

export const ingest: Section = {
  name: 'ingest',
  description: 'spans/s received-to-stored through a collector process vs raw chdb insert',
  async run({ quick }: SectionOptions): Promise<Figures> {
    const total = quick ? 3_072 : 15_360;
    const spans = await makeGenAiSpans(total);
    note(
      `${total} GenAI chat spans (≈1.5 KB content each), batches of ${BATCH}, ${IN_FLIGHT} requests in flight`,
    );

    const all = await throughCollector(spans, 'all');
    const inProcess = await throughCollector(spans, 'all', 0);
    const none = await throughCollector(spans, 'none');
    const raw = await rawInsert(total);

    const rate = (r: PathResult) => r.spans / r.seconds;
    const rows: [string, PathResult][] = [
      ['collector, all scorers', all],
      ['collector, all scorers, --transform-workers 0', inProcess],
      ['collector, --evaluators none', none],
      ['raw chdb insert (baseline)', raw],
    ];
    printTable(
      'ingest: received → queryable, end to end over loopback',
      [
        'path',
        'spans',
        'seconds',
        'spans/s',
        '× baseline',
        'CPU s',
        'spans/CPU-s',
        'peak RSS MB',
        'loop stall max ms',
      ],
      rows.map(([label, r]) => [
        label,
        r.spans,
        round(r.seconds),
        Math.round(rate(r)),
        round(rate(r) / rate(raw)),
        round(r.cpuSeconds),
        Math.round(r.spans / r.cpuSeconds),
        r.peakRssMb,
        r.loopDelayMaxMs,
      ]),
    );
    const scorerShare = 1 - none.cpuSeconds / all.cpuSeconds;
    note(`scorers' share of the collector's CPU: ${Math.round(scorerShare * 100)} %`);
    note(
      'CPU s and RSS are the measured process only (the collector, or the raw-insert process), not the sender',
    );
    const failed = (all.failedRequests ?? 0) + (inProcess.failedRequests ?? 0) + (none.failedRequests ?? 0);
    if (failed > 0) {
      note(
        `failed export requests: all=${all.failedRequests}, in-process=${inProcess.failedRequests}, none=${none.failedRequests}`,
      );
    }
    return {
      spans: total,
      collector_all_spans_per_s: Math.round(rate(all)),
      collector_all_in_process_spans_per_s: Math.round(rate(inProcess)),
      collector_none_spans_per_s: Math.round(rate(none)),
      raw_insert_spans_per_s: Math.round(rate(raw)),
      collector_all_vs_raw: round(rate(all) / rate(raw), 3),
      collector_none_vs_raw: round(rate(none) / rate(raw), 3),
      collector_all_spans_per_cpu_s: Math.round(all.spans / all.cpuSeconds),
      collector_all_in_process_spans_per_cpu_s: Math.round(inProcess.spans / inProcess.cpuSeconds),
      collector_none_spans_per_cpu_s: Math.round(none.spans / none.cpuSeconds),
      collector_all_peak_rss_mb: all.peakRssMb,
      collector_none_peak_rss_mb: none.peakRssMb,
      raw_insert_peak_rss_mb: raw.peakRssMb,
      collector_all_loop_stall_max_ms: all.loopDelayMaxMs,
      collector_all_in_process_loop_stall_max_ms: inProcess.loopDelayMaxMs,
      collector_none_loop_stall_max_ms: none.loopDelayMaxMs,
      scorers_cpu_share: round(scorerShare, 3),
      failed_requests: failed,
    };
  },
};
