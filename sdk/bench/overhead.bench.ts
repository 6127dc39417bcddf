/**
 * Per-call overhead of the OpenAI instrumentation over the bare client, next
 * to `@traceloop/instrumentation-openai` (OpenLLMetry) in the same process, on
 * the same calls (see contenders.ts for the setup both share).
 *
 * Noise on a shared machine is handled three ways: the contenders run in
 * short interleaved blocks whose order rotates every round (A B C, B C A,
 * C A B, …), so a slow spell hits all three alike; CPU overhead is the median
 * of per-round differences against the bare block of the same round; and the
 * `replay` transport (recorded mock answers served from memory) takes the
 * socket out and `stub` the client's HTTP handling too, so the
 * instrumentation's own share can be seen at all (see contenders.ts).
 *
 * Run alone: node sdk/bench/overhead.bench.ts [--quick]
 */
import { parseArgs } from 'node:util';
import { setupContenders, type Transport, VARIANTS, type Variant } from './contenders.ts';

export interface OverheadOptions {
  /** Calls per block; blocks of the three variants alternate. */
  blockSize?: number;
  rounds?: number;
  /** Calls per variant before measuring (JIT, connection pool, recorded answers). */
  warmup?: number;
  stream?: boolean;
  transport?: Transport;
  /** Streamed calls ask for the usage chunk themselves (same bytes for every contender). */
  appAsksUsage?: boolean;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] as number;
}

const median = (xs: number[]) =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );

/**
 * Latency per call (µs, median and p99) and CPU per call of each variant, and
 * what each instrumentation adds over the bare client. Keys:
 * `{bare,oversight,openllmetry}_{median,p99,cpu}_us`,
 * `{oversight,openllmetry}_overhead_{median,p99,cpu}_us`,
 * `oversight_vs_openllmetry_cpu_us` (negative: Oversight is cheaper).
 */
export async function benchOverhead(options: OverheadOptions = {}): Promise<Record<string, number>> {
  const blockSize = options.blockSize ?? 50;
  const rounds = options.rounds ?? 40;
  const warmup = options.warmup ?? 300;
  const stream = options.stream ?? false;

  const c = await setupContenders(stream, options.transport ?? 'http', options.appAsksUsage ?? false);
  const samples: Record<Variant, number[]> = { bare: [], oversight: [], openllmetry: [] };
  const cpu: Record<Variant, number[]> = { bare: [], oversight: [], openllmetry: [] };
  try {
    for (const v of VARIANTS) {
      c.use(v);
      for (let i = 0; i < warmup; i++) await c.call(i);
    }
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < VARIANTS.length; k++) {
        const v = VARIANTS[(r + k) % VARIANTS.length] as Variant;
        c.use(v);
        const c0 = process.cpuUsage();
        for (let i = 0; i < blockSize; i++) {
          const t0 = performance.now();
          await c.call(r * blockSize + i);
          samples[v].push((performance.now() - t0) * 1000);
        }
        const used = process.cpuUsage(c0);
        cpu[v].push((used.user + used.system) / blockSize);
      }
    }
  } finally {
    await c.close();
  }

  const out: Record<string, number> = {};
  for (const v of VARIANTS) {
    const sorted = samples[v].sort((a, b) => a - b);
    out[`${v}_median_us`] = Math.round(quantile(sorted, 0.5));
    out[`${v}_p99_us`] = Math.round(quantile(sorted, 0.99));
    out[`${v}_cpu_us`] = Math.round(median(cpu[v]));
  }
  const paired = (a: Variant, b: Variant) => Math.round(median(cpu[a].map((x, r) => x - (cpu[b][r] ?? 0))));
  for (const v of ['oversight', 'openllmetry'] as const) {
    out[`${v}_overhead_median_us`] = (out[`${v}_median_us`] ?? 0) - (out.bare_median_us ?? 0);
    out[`${v}_overhead_p99_us`] = (out[`${v}_p99_us`] ?? 0) - (out.bare_p99_us ?? 0);
    out[`${v}_overhead_cpu_us`] = paired(v, 'bare');
  }
  out.oversight_vs_openllmetry_cpu_us = paired('oversight', 'openllmetry');
  out.calls_per_variant = rounds * blockSize;
  out.spans_exported = c.sink.spans;
  return out;
}

const signed = (n: number | undefined) => (n === undefined ? '?' : n >= 0 ? `+${n}` : String(n));

function table(title: string, f: Record<string, number>): string {
  const row = (v: Variant) => {
    const cells = [
      v.padEnd(12),
      String(f[`${v}_median_us`]).padStart(8),
      String(f[`${v}_p99_us`]).padStart(8),
      String(f[`${v}_cpu_us`]).padStart(8),
    ];
    if (v !== 'bare') {
      cells.push(
        signed(f[`${v}_overhead_median_us`]).padStart(10),
        signed(f[`${v}_overhead_p99_us`]).padStart(10),
        signed(f[`${v}_overhead_cpu_us`]).padStart(10),
      );
    }
    return cells.join(' ');
  };
  return [
    `${title}  (${f.calls_per_variant} calls per variant, µs per call)`,
    `${''.padEnd(12)} ${'median'.padStart(8)} ${'p99'.padStart(8)} ${'cpu'.padStart(8)} ${'+median'.padStart(10)} ${'+p99'.padStart(10)} ${'+cpu'.padStart(10)}`,
    ...VARIANTS.map(row),
    `oversight cpu - openllmetry cpu (paired per round): ${f.oversight_vs_openllmetry_cpu_us}`,
  ].join('\n');
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
  const size = values.quick ? { rounds: 6, blockSize: 30, warmup: 100 } : {};
  const results: Record<string, Record<string, number>> = {};
  for (const transport of ['http', 'replay', 'stub'] as const) {
    for (const stream of [false, true]) {
      const name = `${stream ? 'streamed' : 'plain'}_${transport}`;
      results[name] = await benchOverhead({ ...size, stream, transport });
      console.log(`\n${table(name, results[name])}`);
    }
    const name = `streamed_app_asks_usage_${transport}`;
    results[name] = await benchOverhead({ ...size, stream: true, transport, appAsksUsage: true });
    console.log(`\n${table(name, results[name])}`);
  }
  console.log(`\n${JSON.stringify(results, null, 2)}`);
}
