/**
 * Per-call overhead of the OpenAI instrumentation over the bare client, next
 * to `@traceloop/instrumentation-openai` (OpenLLMetry) in the same process, on
 * the same calls, against the local mock server. Variants run in alternating
 * blocks (bare, ours, OpenLLMetry, bare, …) so machine noise hits all three
 * alike; both instrumentations export through the same batch processor into a
 * discarding exporter, so what is measured is the instrumentation and the SDK,
 * not the network.
 *
 * Run alone: node sdk/bench/overhead.bench.ts
 */
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { isWrapped } from '@opentelemetry/instrumentation';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import { OpenAIInstrumentation as TraceloopOpenAI } from '@traceloop/instrumentation-openai';
import OpenAI from 'openai';
import { startMockLlm } from '../../examples/mock-llm/src/index.ts';
import { init } from '../src/init.ts';
import {
  classesFromClientClass,
  OpenAIInstrumentation,
} from '../src/instrumentation/openai/instrumentation.ts';

class DiscardExporter implements SpanExporter {
  spans = 0;
  export(spans: ReadableSpan[], done: (r: ExportResult) => void): void {
    this.spans += spans.length;
    done({ code: ExportResultCode.SUCCESS });
  }
  async shutdown(): Promise<void> {}
}

type Variant = 'bare' | 'oversight' | 'openllmetry';

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] as number;
}

export interface OverheadOptions {
  /** Calls per block; blocks alternate between variants. */
  blockSize?: number;
  rounds?: number;
  warmup?: number;
  stream?: boolean;
}

/**
 * Median and p99 latency per call (µs) of each variant, and the overhead of
 * each instrumentation over the bare client. Keys:
 * `{bare,oversight,openllmetry}_{median,p99}_us`,
 * `{oversight,openllmetry}_overhead_{median,p99,cpu}_us`, `{variant}_cpu_us` (CPU per call).
 */
export async function benchOverhead(options: OverheadOptions = {}): Promise<Record<string, number>> {
  const blockSize = options.blockSize ?? 100;
  const rounds = options.rounds ?? 10;
  const warmup = options.warmup ?? 200;
  const stream = options.stream ?? false;

  const sink = new DiscardExporter();
  const handle = init({
    spanProcessors: [
      new BatchSpanProcessor({ exporter: sink, maxQueueSize: 100_000, scheduledDelayMillis: 200 }),
    ],
    instrumentations: { openai: false, anthropic: false },
    flushOnExit: false,
  });
  const mock = await startMockLlm();
  const client = new OpenAI({ apiKey: 'sk-bench', baseURL: `${mock.url}/v1`, maxRetries: 0 });

  const ours = new OpenAIInstrumentation({ enabled: false });
  const classes = classesFromClientClass(OpenAI as unknown as Record<string, unknown>);
  const traceloop = new TraceloopOpenAI({ enabled: false, traceContent: true });
  const traceloopProto = (OpenAI as unknown as { Chat: { Completions: { prototype: object } } }).Chat
    .Completions.prototype;

  const use = (v: Variant) => {
    ours.unpatchClasses(classes);
    if (isWrapped((traceloopProto as { create: unknown }).create)) {
      (traceloop as unknown as { _unwrap(o: object, n: string): void })._unwrap(traceloopProto, 'create');
    }
    if (v === 'oversight') ours.patchClasses(classes);
    if (v === 'openllmetry') traceloop.manuallyInstrument(OpenAI);
  };

  const oneCall = async (i: number) => {
    const messages = [{ role: 'user' as const, content: `Benchmark question number ${i % 50}?` }];
    if (stream) {
      const s = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
      for await (const _ of s) {
        // drain
      }
    } else {
      await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    }
  };

  const variants: Variant[] = ['bare', 'oversight', 'openllmetry'];
  const samples: Record<Variant, number[]> = { bare: [], oversight: [], openllmetry: [] };
  // CPU per call, per block: steadier than latency on a shared machine (the mock's CPU is included, equally).
  const cpu: Record<Variant, number[]> = { bare: [], oversight: [], openllmetry: [] };
  try {
    for (const v of variants) {
      use(v);
      for (let i = 0; i < warmup; i++) await oneCall(i);
    }
    for (let r = 0; r < rounds; r++) {
      for (const v of variants) {
        use(v);
        const c0 = process.cpuUsage();
        for (let i = 0; i < blockSize; i++) {
          const t0 = performance.now();
          await oneCall(i);
          samples[v].push((performance.now() - t0) * 1000);
        }
        const c = process.cpuUsage(c0);
        cpu[v].push((c.user + c.system) / blockSize);
      }
    }
  } finally {
    use('bare');
    await handle.shutdown();
    await mock.close();
  }

  const out: Record<string, number> = {};
  for (const v of variants) {
    const sorted = samples[v].sort((a, b) => a - b);
    out[`${v}_median_us`] = Math.round(quantile(sorted, 0.5));
    out[`${v}_p99_us`] = Math.round(quantile(sorted, 0.99));
    out[`${v}_cpu_us`] = Math.round(
      quantile(
        cpu[v].sort((a, b) => a - b),
        0.5,
      ),
    );
  }
  for (const v of ['oversight', 'openllmetry'] as const) {
    out[`${v}_overhead_median_us`] = (out[`${v}_median_us`] ?? 0) - (out.bare_median_us ?? 0);
    out[`${v}_overhead_p99_us`] = (out[`${v}_p99_us`] ?? 0) - (out.bare_p99_us ?? 0);
    out[`${v}_overhead_cpu_us`] = (out[`${v}_cpu_us`] ?? 0) - (out.bare_cpu_us ?? 0);
  }
  out.calls_per_variant = rounds * blockSize;
  out.spans_exported = sink.spans;
  return out;
}

if (import.meta.main) {
  const plain = await benchOverhead();
  const streamed = await benchOverhead({ stream: true });
  console.log(JSON.stringify({ plain, streamed }, null, 2));
}
