/**
 * The collector end to end with the trace stage (groundedness, answer and
 * context relevance per assembled trace) on, next to the same run with it off:
 * RAG traces (a root, a retrieval with three documents, a chat answer drawn
 * from them) exported by the real OTel SDK to a collector in its own process.
 * Spans/s is received → queryable (the span rows, which the stage never
 * delays); "scored" is until every generation carries its groundedness, which
 * includes the assembler's grace period (2 s after the root); "busy" is the
 * stage's own counter of the time it spent scoring and writing, so
 * generations over it is what the stage can take when it never waits. The event-loop
 * delay (p99, longest stall) is what an exporter or a health probe could wait:
 * from the first export to stored (off) or to every generation scored (on, so
 * the stage's whole work is in its window).
 */
import { context as otelContext, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { type CollectorProcess, startCollectorProcess } from '../collector-process.ts';
import { texts } from '../corpus.ts';
import { createSender } from '../otlp-sender.ts';
import { note, printTable } from '../report.ts';
import { chunk, type Figures, type Section, type SectionOptions } from '../section.ts';
import { round, sleep } from '../stats.ts';

const BATCH = 512;
const IN_FLIGHT = 4;
const DOC_WORDS = 150;
const ANSWER_WORDS = 60;
const NO_PROGRESS_MS = 30_000;

const firstWords = (text: string, n: number) => text.split(/\s+/).slice(0, n).join(' ');

/** `count` RAG traces (root, a retrieval of 3 documents, a chat answer) made by the real OTel JS SDK. */
export async function makeRagTraces(count: number): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench-rag-bot' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  const tracer = provider.getTracer('oversight-bench', '1.0.0');
  const docs = texts(count * 3, DOC_WORDS * 7, 31).map((t) => firstWords(t, DOC_WORDS));
  const questions = texts(count, 100, 32);
  for (let i = 0; i < count; i++) {
    const mine = docs.slice(i * 3, i * 3 + 3);
    // Drawn from the documents, every fourth answer with a changed number: what the scorer looks for.
    let answer = firstWords(
      mine
        .join(' ')
        .split(/(?<=[.!?])\s+/)
        .slice(i % 3)
        .join(' '),
      ANSWER_WORDS,
    );
    if (i % 4 === 0) answer = answer.replace(/\d+/, (d) => String(Number(d) + 7));
    const root = tracer.startSpan('POST /ask', { kind: SpanKind.SERVER });
    const ctx = trace.setSpan(otelContext.active(), root);
    const retrieval = tracer.startSpan(
      'retrieval kb',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': 'retrieval',
          'gen_ai.provider.name': 'pgvector',
          'gen_ai.retrieval.query.text': questions[i] as string,
          'gen_ai.retrieval.documents': JSON.stringify(
            mine.map((content, k) => ({ id: `doc-${i}-${k}`, content, score: 0.9 - k / 10 })),
          ),
        },
      },
      ctx,
    );
    retrieval.end();
    const chat = tracer.startSpan(
      'chat gpt-4o-mini',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.usage.input_tokens': 600,
          'gen_ai.usage.output_tokens': 80,
          'gen_ai.input.messages': JSON.stringify([
            { role: 'user', parts: [{ type: 'text', content: questions[i] }] },
          ]),
          'gen_ai.output.messages': JSON.stringify([
            { role: 'assistant', parts: [{ type: 'text', content: answer }], finish_reason: 'stop' },
          ]),
        },
      },
      ctx,
    );
    chat.setStatus({ code: SpanStatusCode.OK });
    chat.end();
    root.end();
  }
  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

interface RunResult {
  spans: number;
  storedSeconds: number;
  scoredSeconds: number | null;
  /** Wall time the trace stage spent scoring and writing (its busy counter). */
  busySeconds: number | null;
  cpuSeconds: number;
  peakRssMb: number;
  loopDelayP99Ms: number;
  loopStallMaxMs: number;
}

async function start(traceQuality: boolean): Promise<CollectorProcess> {
  const saved = process.env.OVERSIGHT_TRACE_QUALITY;
  process.env.OVERSIGHT_TRACE_QUALITY = String(traceQuality);
  try {
    return await startCollectorProcess({ evaluators: 'all' });
  } finally {
    if (saved === undefined) delete process.env.OVERSIGHT_TRACE_QUALITY;
    else process.env.OVERSIGHT_TRACE_QUALITY = saved;
  }
}

async function waitUntil(read: () => Promise<number>, target: number): Promise<boolean> {
  let last = await read();
  let progressAt = Date.now();
  while (last < target && Date.now() - progressAt < NO_PROGRESS_MS) {
    await sleep(50);
    const next = await read();
    if (next > last) progressAt = Date.now();
    last = next;
  }
  return last >= target;
}

async function run(spans: ReadableSpan[], generations: number, traceQuality: boolean): Promise<RunResult> {
  const collector = await start(traceQuality);
  try {
    const sender = createSender(collector.url);
    const before = await collector.stats();
    collector.resetLoopDelay();
    const started = performance.now();
    const batches = chunk(spans, BATCH);
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < batches.length) await sender.send(batches[next++] as ReadableSpan[]);
      }),
    );
    const stored = () => collector.count('otel_traces');
    if (!(await waitUntil(stored, spans.length))) throw new Error('spans stopped arriving in ClickHouse');
    const storedSeconds = (performance.now() - started) / 1000;
    let scoredSeconds: number | null = null;
    let busySeconds: number | null = null;
    if (traceQuality) {
      // Watched on /metrics, not by SQL: a query every 50 ms over llm_spans, which applies the
      // UPDATE's patch parts, would cost the collector more CPU than the stage itself.
      const scored = () => collector.metric('oversight_trace_scored_total{kind="generations"}');
      if (!(await waitUntil(scored, generations))) throw new Error('generations stopped being scored');
      scoredSeconds = (performance.now() - started) / 1000;
      const set = await collector.count('llm_spans', 'groundedness IS NOT NULL');
      if (set !== generations) throw new Error(`${set} of ${generations} generations carry a score`);
      busySeconds = await collector.metric('oversight_trace_busy_seconds_total');
    }
    const after = await collector.stats();
    await sender.shutdown();
    const final = await collector.stop();
    return {
      spans: spans.length,
      storedSeconds,
      scoredSeconds,
      busySeconds,
      cpuSeconds: (after.cpuMs - before.cpuMs) / 1000,
      peakRssMb: final.peakRssMb,
      loopDelayP99Ms: after.loopDelayP99Ms,
      loopStallMaxMs: after.loopDelayMaxMs,
    };
  } finally {
    await collector.stop();
  }
}

export const traceQuality: Section = {
  name: 'trace-quality',
  description: 'collector spans/s on RAG traces with the groundedness trace stage on vs off',
  async run({ quick }: SectionOptions): Promise<Figures> {
    const traces = quick ? 1_000 : 4_000;
    const spans = await makeRagTraces(traces);
    note(
      `${traces} RAG traces (${spans.length} spans: root, retrieval of 3×${DOC_WORDS} words, chat answer of ${ANSWER_WORDS} words), batches of ${BATCH}, ${IN_FLIGHT} in flight, safety scorers on in both runs`,
    );
    const off = await run(spans, traces, false);
    const on = await run(spans, traces, true);
    const rows: [string, RunResult][] = [
      ['trace stage off (--trace-quality false)', off],
      ['trace stage on (default)', on],
    ];
    printTable(
      'trace quality: RAG spans received → queryable, and → every generation scored',
      [
        'run',
        'spans',
        'stored s',
        'spans/s',
        'scored s',
        'generations/s',
        'busy s',
        'generations/busy s',
        'CPU s',
        'peak RSS MB',
        'loop p99 ms',
        'loop stall max ms',
      ],
      rows.map(([label, r]) => [
        label,
        r.spans,
        round(r.storedSeconds),
        Math.round(r.spans / r.storedSeconds),
        r.scoredSeconds === null ? '–' : round(r.scoredSeconds),
        r.scoredSeconds === null ? '–' : Math.round(traces / r.scoredSeconds),
        r.busySeconds === null ? '–' : round(r.busySeconds),
        r.busySeconds === null ? '–' : Math.round(traces / r.busySeconds),
        round(r.cpuSeconds),
        r.peakRssMb,
        r.loopDelayP99Ms,
        r.loopStallMaxMs,
      ]),
    );
    return {
      traces,
      spans: spans.length,
      off_spans_per_s: Math.round(off.spans / off.storedSeconds),
      on_spans_per_s: Math.round(on.spans / on.storedSeconds),
      on_vs_off: round(off.storedSeconds / on.storedSeconds, 3),
      on_all_scored_s: round(on.scoredSeconds ?? 0),
      on_generations_scored_per_s: Math.round(traces / (on.scoredSeconds ?? 1)),
      // The stage's capacity: generations over the time it was at work. The figure above also
      // holds the ingest the traces arrive over and the assembler's 2 s grace period.
      on_busy_s: round(on.busySeconds ?? 0),
      on_generations_per_busy_s: Math.round(traces / (on.busySeconds ?? 1)),
      off_cpu_s: round(off.cpuSeconds),
      on_cpu_s: round(on.cpuSeconds),
      // What the stage costs a generation, all threads (event loop, worker, ClickHouse's).
      stage_cpu_ms_per_generation: round(((on.cpuSeconds - off.cpuSeconds) * 1000) / traces),
      off_peak_rss_mb: off.peakRssMb,
      on_peak_rss_mb: on.peakRssMb,
      off_loop_delay_p99_ms: off.loopDelayP99Ms,
      on_loop_delay_p99_ms: on.loopDelayP99Ms,
      off_loop_stall_max_ms: off.loopStallMaxMs,
      on_loop_stall_max_ms: on.loopStallMaxMs,
    };
  },
};
