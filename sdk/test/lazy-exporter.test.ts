import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { LazyExporter } from '../src/lazy-exporter.ts';

const exportOnce = (exporter: LazyExporter) =>
  new Promise<ExportResult[]>((resolve) => {
    const results: ExportResult[] = [];
    exporter.export([] as ReadableSpan[], (r) => results.push(r));
    // Two turns of the loop: the creation, then the export.
    setTimeout(() => resolve(results), 20);
  });

describe('LazyExporter', () => {
  it('answers a failure once when the exporter throws instead of calling back', async () => {
    const throwing = {
      export: () => {
        throw new Error('serializer bug');
      },
      shutdown: async () => {},
    } as unknown as SpanExporter;
    const results = await exportOnce(new LazyExporter(async () => throwing));
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ code: 1, error: new Error('serializer bug') });
  });

  it('answers once when the exporter calls back and then throws', async () => {
    const both = {
      export: (_: ReadableSpan[], done: (r: ExportResult) => void) => {
        done({ code: 0 });
        throw new Error('after the callback');
      },
      shutdown: async () => {},
    } as unknown as SpanExporter;
    expect(await exportOnce(new LazyExporter(async () => both))).toEqual([{ code: 0 }]);
  });

  it('answers a failure when the exporter cannot be built', async () => {
    const results = await exportOnce(
      new LazyExporter(async () => {
        throw new Error('no protobuf runtime');
      }),
    );
    expect(results).toEqual([{ code: 1, error: new Error('no protobuf runtime') }]);
  });
});
