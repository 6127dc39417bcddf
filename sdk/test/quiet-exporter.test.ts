import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { QuietExporter } from '../src/quiet-exporter.ts';
import { resetDiagnostics } from '../src/safe.ts';

afterEach(() => vi.restoreAllMocks());

describe('QuietExporter', () => {
  it('reports a failing collector once, in one line, however the error reads', () => {
    resetDiagnostics();
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    // A proxy in front of the collector answering with an HTML page, quoted in the error.
    const failing = {
      export: (_: ReadableSpan[], done: (r: ExportResult) => void) =>
        done({ code: 1, error: new Error('Bad Gateway\n<html>\n  <body>502</body>\n</html>') }),
      shutdown: async () => {},
    } as unknown as SpanExporter;
    const exporter = new QuietExporter(failing);
    const results: ExportResult[] = [];
    for (let i = 0; i < 3; i++) exporter.export([], (r) => results.push(r));
    expect(results.map((r) => r.code)).toEqual([1, 1, 1]);
    expect(lines).toEqual([
      '[oversight] cannot export spans (Error: Bad Gateway <html> <body>502</body> </html>); the app is unaffected, further failures are not logged\n',
    ]);
  });

  it('tries a collector it has not heard from once, quickly: a refused connection never meets the retry loop', () => {
    const normal = scripted([]);
    const fast = scripted([refused()]);
    const exporter = new QuietExporter(normal, fast);
    const results: ExportResult[] = [];
    exporter.export([], (r) => results.push(r));
    exporter.export([], (r) => results.push(r));
    expect(results.map((r) => r.code)).toEqual([1, 1]);
    // The full-budget exporter's retry timers would hold a finished app open for seconds.
    expect(normal.calls).toBe(0);
    expect(fast.calls).toBe(2);
  });

  it('gives a collector that is there but slow the same batch again with the full budget', () => {
    const normal = scripted([{ code: 0 }, { code: 0 }]);
    const fast = scripted([{ code: 1, error: new Error('Request timed out') }]);
    const exporter = new QuietExporter(normal, fast);
    const spans = [{ name: 'chat' }] as unknown as ReadableSpan[];
    const results: ExportResult[] = [];
    exporter.export(spans, (r) => results.push(r));
    expect(results.map((r) => r.code)).toEqual([0]);
    expect(normal.batches[0]).toBe(spans);
    // Once it answered, every batch gets the full budget.
    exporter.export([], (r) => results.push(r));
    expect([normal.calls, fast.calls]).toEqual([2, 1]);
  });

  it('does not wait longer on a final answer, nor on a slow collector once the app is exiting', () => {
    const unauthorized = Object.assign(new Error('Unauthorized'), { code: 401 });
    const normal = scripted([]);
    const exporter = new QuietExporter(normal, scripted([{ code: 1, error: unauthorized }]));
    exporter.export([], () => {});
    const exiting = new QuietExporter(normal, scripted([{ code: 1, error: new Error('Request timed out') }]));
    exiting.exiting();
    exiting.export([], () => {});
    expect(normal.calls).toBe(0);
  });
});

/** An exporter answering each export with the next scripted result. */
function scripted(answers: ExportResult[]): SpanExporter & { calls: number; batches: ReadableSpan[][] } {
  const out = {
    calls: 0,
    batches: [] as ReadableSpan[][],
    export(spans: ReadableSpan[], done: (r: ExportResult) => void) {
      out.batches.push(spans);
      const answer = answers[out.calls++] ?? answers.at(-1);
      if (!answer) throw new Error('this exporter should not have been called');
      done(answer);
    },
    shutdown: async () => {},
  };
  return out;
}

/** What the OTLP exporter reports when nothing listens at the collector's address. */
function refused(): ExportResult {
  return {
    code: 1,
    error: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4318'), { code: 'ECONNREFUSED' }),
  };
}
