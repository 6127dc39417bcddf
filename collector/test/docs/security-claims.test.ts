/**
 * What docs/security.md says the receiver does with a JSON body of the wrong
 * shape, against the decoder: a wrong type above the spans refuses the
 * request (400, the message the doc quotes), one inside a span rejects that
 * span alone (partial success) and stores the rest.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeTraceRequest } from '../../src/otlp/decode.ts';
import { OtlpRequestError } from '../../src/otlp/errors.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const DOC = readFileSync(join(ROOT, 'docs/security.md'), 'utf8').replace(/\s+/g, ' ');

const span = (id: string, extra: Record<string, unknown> = {}) => ({
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: id,
  name: 'chat gpt-4o-mini',
  startTimeUnixNano: '1700000000000000000',
  endTimeUnixNano: '1700000001000000000',
  ...extra,
});
const json = (body: unknown) => new TextEncoder().encode(JSON.stringify(body));

/** The row of the hostile-input table whose first cell contains `text`. */
function row(text: string): string {
  const found = DOC.split(' | ').findIndex((cell) => cell.includes(text));
  expect(found, `no table cell with "${text}"`).toBeGreaterThanOrEqual(0);
  return DOC.split(' | ')
    .slice(found, found + 2)
    .join(' | ');
}

describe('docs/security.md on JSON of the wrong shape', () => {
  it('a wrong type above the spans: 400, with the message the doc quotes', () => {
    let refused: unknown;
    try {
      decodeTraceRequest(
        json({
          resourceSpans: [
            { resource: { attributes: 7 }, scopeSpans: [{ spans: [span('b7ad6b7169203331')] }] },
          ],
        }),
        'json',
      );
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(OtlpRequestError);
    expect((refused as OtlpRequestError).status).toBe(400);
    expect(DOC).toContain(`field path (\`${(refused as Error).message}\`)`);
    expect(row('wrong type above the spans')).toMatch(/\| 400\b/);
  });

  it('a wrong type inside a span: that span rejected, the others kept (partial success)', () => {
    const result = decodeTraceRequest(
      json({
        resourceSpans: [
          { scopeSpans: [{ spans: [span('b7ad6b7169203331', { traceId: 5 }), span('b7ad6b7169203332')] }] },
        ],
      }),
      'json',
    );
    expect(result.spans.map((s) => s.spanId)).toEqual(['b7ad6b7169203332']);
    expect(result.rejectedSpans).toBe(1);
    expect(result.errorMessage).toContain(
      'spans[0].traceId: Invalid input: expected string, received number',
    );
    expect(row('a field of the wrong type')).toMatch(/\| 200 with `partialSuccess.rejectedSpans`/);
  });
});
