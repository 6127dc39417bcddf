/**
 * Benchmarks other parts of the project own, printed as they report them.
 * Imported lazily, so `--only` runs load nothing else and a module that fails
 * to load costs only its own section.
 */
import { printFigures } from '../report.ts';
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
    const figures = await benchOverhead(quick ? { rounds: 2, blockSize: 50, warmup: 50 } : {});
    printFigures('sdk-overhead: chat.completions.create against the local mock, µs per call', figures);
    return figures;
  },
};
