/**
 * Benchmarks other parts of the project own, printed as they report them.
 * Imported lazily, so `--only` runs load nothing else and a module that fails
 * to load costs only its own section.
 */
import { printFigures, printTable } from '../report.ts';
import type { Figures, Section, SectionOptions } from '../section.ts';

export const decode: Section = {
  name: 'decode',
  description: 'OTLP decode of 1,000 GenAI spans (collector/bench/decode.bench.ts)',
  async run(): Promise<Figures> {
    const { benchDecode } = await import('../../collector/bench/decode.bench.ts');
    const figures = await benchDecode();
    printFigures('decode: OTLP request → SpanRecords, 1,000 GenAI spans', figures);
    return figures;
  },
};

export const wal: Section = {
  name: 'wal',
  description: 'write-ahead log appends with fsync (collector/bench/wal.bench.ts)',
  async run(): Promise<Figures> {
    const { benchWal } = await import('../../collector/bench/wal.bench.ts');
    const figures = await benchWal();
    printFigures('wal: durable appends, group commit vs serial', figures);
    return figures;
  },
};

export const sdkOverhead: Section = {
  name: 'sdk-overhead',
  description:
    'per-call OpenAI instrumentation overhead vs bare client vs OpenLLMetry (sdk/bench/overhead.bench.ts)',
  async run({ quick }: SectionOptions): Promise<Figures> {
    const { benchOverhead } = await import('../../sdk/bench/overhead.bench.ts');
    const size = quick ? { rounds: 2, blockSize: 50, warmup: 50 } : {};
    // `http` is what an app sees; `stub` removes the client's own HTTP work, the
    // only view where differences of a few µs rise above this machine's noise.
    const cases = [
      ['plain, http', { transport: 'http', stream: false }],
      ['streamed, http', { transport: 'http', stream: true }],
      ['plain, stub', { transport: 'stub', stream: false }],
      ['streamed, stub', { transport: 'stub', stream: true }],
      ['streamed, app asks usage, stub', { transport: 'stub', stream: true, appAsksUsage: true }],
    ] as const;
    const figures: Figures = {};
    const rows: (string | number)[][] = [];
    for (const [label, options] of cases) {
      const f = await benchOverhead({ ...size, ...options });
      for (const [key, value] of Object.entries(f)) figures[`${label}.${key}`] = value;
      rows.push([
        label,
        f.bare_median_us ?? NaN,
        f.oversight_overhead_median_us ?? NaN,
        f.openllmetry_overhead_median_us ?? NaN,
        f.oversight_overhead_cpu_us ?? NaN,
        f.openllmetry_overhead_cpu_us ?? NaN,
        f.oversight_overhead_p99_us ?? NaN,
        f.openllmetry_overhead_p99_us ?? NaN,
      ]);
    }
    printTable(
      'sdk-overhead: µs added per chat.completions.create over the bare client (same run, rounds interleaved)',
      [
        'case',
        'bare median',
        'oversight +median',
        'openllmetry +median',
        'oversight +cpu',
        'openllmetry +cpu',
        'oversight +p99',
        'openllmetry +p99',
      ],
      rows,
    );
    return figures;
  },
};
