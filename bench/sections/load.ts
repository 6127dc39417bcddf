/**
 * Sustained load: a fixed rate of OTLP requests (open loop: sends follow the
 * clock, not the replies) to a collector process for a fixed time, then a wait
 * for the drain. Accepted spans must all be stored: lost is printed, never
 * assumed. The write-ahead log's backlog and the collector's peak memory show
 * what the rate costs.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { startCollectorProcess } from '../collector-process.ts';
import { makeGenAiSpans } from '../genai-spans.ts';
import { createSender, type SendResult } from '../otlp-sender.ts';
import { note, printTable } from '../report.ts';
import { chunk, type Figures, type Section, type SectionOptions } from '../section.ts';
import { median, quantile, round, sleep } from '../stats.ts';

export interface LoadOptions {
  spansPerSecond: number;
  batch: number;
  seconds: number;
  evaluators: string;
}

export const DEFAULT_LOAD: LoadOptions = {
  spansPerSecond: 2_000,
  batch: 100,
  seconds: 60,
  evaluators: 'none',
};

/** Distinct spans sent round-robin, each pass under its own trace ids (`onPass`). */
const POOL_SPANS = 10_000;
const NO_PROGRESS_MS = 15_000;
const MAX_DRAIN_MS = 180_000;

/**
 * The pool's spans under trace ids of one pass over it: the collector answers
 * a request whose bytes it already took as an exporter's resend, without
 * storing it again, so a second pass of the same spans would count as lost.
 * Every pool span is a trace's root, so the trace id is all there is to change.
 */
function onPass(batch: readonly ReadableSpan[], pass: number): ReadableSpan[] {
  if (pass === 0) return [...batch];
  const tag = pass.toString(16).padStart(8, '0');
  return batch.map((span) => {
    const context = { ...span.spanContext(), traceId: `${span.spanContext().traceId.slice(0, 24)}${tag}` };
    return Object.create(span, { spanContext: { value: () => context } }) as ReadableSpan;
  });
}

export function loadSection(settings: Partial<LoadOptions> = {}): Section {
  const options = { ...DEFAULT_LOAD, ...settings };
  return {
    name: 'load',
    description: `fixed ${options.spansPerSecond} spans/s in batches of ${options.batch}: accepted, stored, lost, p99 latency, peak RSS`,
    async run({ quick }: SectionOptions): Promise<Figures> {
      const seconds = quick ? Math.min(options.seconds, 10) : options.seconds;
      const requests = Math.round((options.spansPerSecond * seconds) / options.batch);
      const intervalMs = (options.batch / options.spansPerSecond) * 1000;
      const pool = chunk(
        await makeGenAiSpans(Math.min(POOL_SPANS, requests * options.batch), 21),
        options.batch,
      );

      const collector = await startCollectorProcess({ evaluators: options.evaluators });
      try {
        const sender = createSender(collector.url);
        const results: SendResult[] = [];
        let accepted = 0;
        let backlogPeak = 0;
        let walPeakBytes = 0;
        let sampling = true;
        const sampler = (async () => {
          while (sampling) {
            backlogPeak = Math.max(backlogPeak, await collector.metric('oversight_queue_depth'));
            walPeakBytes = Math.max(walPeakBytes, await collector.metric('oversight_wal_bytes'));
            await sleep(1000);
          }
        })();

        collector.resetLoopDelay();
        const started = performance.now();
        const inFlight: Promise<void>[] = [];
        for (let i = 0; i < requests; i++) {
          const wait = started + i * intervalMs - performance.now();
          if (wait > 0) await sleep(wait);
          const batch = onPass(pool[i % pool.length] as (typeof pool)[number], Math.floor(i / pool.length));
          inFlight.push(
            sender.send(batch).then((r) => {
              results.push(r);
              if (r.ok) accepted += batch.length;
            }),
          );
        }
        const sendSeconds = (performance.now() - started) / 1000;
        await Promise.all(inFlight);
        const loadEnded = performance.now();

        let stored = await collector.count('otel_traces');
        let progressAt = performance.now();
        while (stored < accepted) {
          const now = performance.now();
          if (now - progressAt > NO_PROGRESS_MS || now - loadEnded > MAX_DRAIN_MS) break;
          await sleep(100);
          const next = await collector.count('otel_traces');
          if (next > stored) progressAt = performance.now();
          stored = next;
        }
        const drainSeconds = (performance.now() - loadEnded) / 1000;
        const storedLlm = await collector.count('llm_spans');
        const stillQueued = await collector.metric('oversight_queue_depth');
        const loaded = await collector.stats();
        sampling = false;
        await sampler;
        await sender.shutdown();
        const final = await collector.stop();

        const latencies = results.map((r) => r.ms);
        const failed = results.filter((r) => !r.ok);
        const offered = requests * options.batch;
        const lost = accepted - stored;
        printTable(
          `load: ${options.spansPerSecond} spans/s in batches of ${options.batch} for ${seconds} s, evaluators ${options.evaluators}`,
          ['figure', 'value'],
          [
            ['spans offered', offered],
            ['achieved send rate, spans/s', Math.round(offered / sendSeconds)],
            ['spans accepted (200)', accepted],
            ['requests failed', failed.length],
            ['spans stored, otel_traces', stored],
            ['spans stored, llm_spans', storedLlm],
            ['spans lost (accepted − stored)', lost],
            ['drain after load, s', round(drainSeconds)],
            ['request latency p50, ms', round(median(latencies))],
            ['request latency p99, ms', round(quantile(latencies, 0.99))],
            ['request latency max, ms', round(Math.max(...latencies))],
            ['log backlog peak, requests', backlogPeak],
            ['log peak size, MB', round(walPeakBytes / 2 ** 20, 1)],
            ['collector peak RSS, MB', final.peakRssMb],
            ['collector event-loop delay p99, ms', loaded.loopDelayP99Ms],
            ['collector event-loop stall max, ms', loaded.loopDelayMaxMs],
          ],
        );
        if (failed.length > 0) note(`first failure: ${failed[0]?.error}`);
        if (lost > 0) note(`${stillQueued} requests were still in the log when the wait for the drain ended`);
        return {
          spans_per_s_target: options.spansPerSecond,
          seconds,
          offered,
          accepted,
          failed_requests: failed.length,
          stored,
          stored_llm_spans: storedLlm,
          lost,
          drain_s: round(drainSeconds),
          latency_p50_ms: round(median(latencies)),
          latency_p99_ms: round(quantile(latencies, 0.99)),
          backlog_peak_requests: backlogPeak,
          wal_peak_mb: round(walPeakBytes / 2 ** 20, 1),
          peak_rss_mb: final.peakRssMb,
          loop_delay_p99_ms: loaded.loopDelayP99Ms,
          loop_stall_max_ms: loaded.loopDelayMaxMs,
        };
      } finally {
        await collector.stop();
      }
    },
  };
}
