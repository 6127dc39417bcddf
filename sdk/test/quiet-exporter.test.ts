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
});
