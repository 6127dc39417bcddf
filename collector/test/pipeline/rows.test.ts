import { describe, expect, it } from 'vitest';
import { attributeValueToString } from '../../src/pipeline/transform/attribute-string.ts';
import {
  contentHash64,
  TEXT_CAP_CHARS,
  toLlmSpanRow,
  toRetrievalDocumentRows,
} from '../../src/pipeline/transform/llm-rows.ts';
import { toEvaluationRow, toTopicRow } from '../../src/pipeline/transform/record-rows.ts';
import { toDateTime64 } from '../../src/pipeline/transform/time.ts';
import { toTraceRow } from '../../src/pipeline/transform/trace-row.ts';
import { sampleLlmSpan, sampleRetrievalSpan, sampleSpan } from '../store/fixtures.ts';

describe('attribute values as the OTel ClickHouse exporter stores them (pcommon AsString)', () => {
  it.each([
    ['plain', 'plain'],
    [42, '42'],
    [-7, '-7'],
    [0.1, '0.1'],
    [3.0, '3'],
    [1e21, '1e+21'],
    [1e-7, '1e-7'],
    [123456.789, '123456.789'],
    [true, 'true'],
    [false, 'false'],
    [null, ''],
    [Number.NaN, 'json: unsupported value: NaN'],
    [Number.POSITIVE_INFINITY, 'json: unsupported value: +Inf'],
    [['a', 1, true, null], '["a",1,true,null]'],
    [{ z: 1, a: [1.5, 'x'], m: { k: 'v' } }, '{"a":[1.5,"x"],"m":{"k":"v"},"z":1}'],
    [['<b>&'], '["\\u003cb\\u003e\\u0026"]'],
    [{ s: 'line\nbreak\u2028' }, '{"s":"line\\nbreak\\u2028"}'],
    [[1, Number.NaN], ''],
  ] as const)('%j → %s', (value, expected) => {
    expect(attributeValueToString(value as never)).toBe(expected);
  });

  it('sorts map keys by their UTF-8 bytes, as Go does', () => {
    expect(attributeValueToString({ é: 1, z: 2, Z: 3 })).toBe('{"Z":3,"z":2,"é":1}');
  });
});

describe('instants', () => {
  it('render nanoseconds losslessly', () => {
    expect(toDateTime64(1_700_000_000_000_000_001n)).toBe('1700000000.000000001');
    expect(toDateTime64(5n)).toBe('0.000000005');
    expect(toDateTime64(new Date('2026-03-01T00:00:00.250Z'), 3)).toBe('1772323200.250');
    expect(toDateTime64(1_772_323_200_250.5)).toBe('1772323200.250500000');
    expect(() => toDateTime64(-1n)).toThrow(RangeError);
  });
});

describe('row builders', () => {
  it('compute the span duration and never go negative', () => {
    expect(toTraceRow(sampleSpan(), 'p').Duration).toBe('1500000001');
    const skewed = sampleSpan({ endTimeUnixNano: sampleSpan().startTimeUnixNano - 5n });
    expect(toTraceRow(skewed, 'p').Duration).toBe('0');
  });

  it('take the last user message as prompt text and cap it', () => {
    const span = sampleLlmSpan({
      inputMessages: [
        { role: 'user', content: 'first question' },
        { role: 'assistant', content: 'answer' },
        { role: 'user', content: 'x'.repeat(TEXT_CAP_CHARS + 10) },
        { role: 'tool', content: 'tool output', toolCallId: 'c1' },
      ],
    });
    const row = toLlmSpanRow(span, 'p');
    expect(row.prompt_text).toHaveLength(TEXT_CAP_CHARS);
    expect(JSON.parse(row.input_messages as string)).toHaveLength(4);
    expect(row.topic_id).toBe('0');
  });

  it('hash whole document content, stably', () => {
    const rows = toRetrievalDocumentRows(sampleRetrievalSpan(), 'p');
    expect(rows.map((row) => row.rank)).toEqual([1, 2]);
    expect(rows[0]?.content_hash).toBe(contentHash64('To reset your password, open Settings.'));
    expect(rows[0]?.content_hash).toMatch(/^\d+$/);
    expect(rows[0]?.content_hash).not.toBe(rows[1]?.content_hash);
  });

  it('refuse non-finite scores and keep topic times at millisecond precision', () => {
    const base = {
      projectId: 'p',
      timestamp: 0,
      traceId: 't',
      spanId: 's',
      evaluator: 'pii',
      source: 'collector' as const,
    };
    expect(() => toEvaluationRow({ ...base, score: Number.NaN })).toThrow(RangeError);
    const topic = toTopicRow({
      projectId: 'p',
      topicId: 18_446_744_073_709_551_615n,
      label: 'l',
      topTerms: [],
      size: 1,
      firstSeen: 1000,
      lastSeen: 2000,
    });
    expect(topic).toMatchObject({
      topic_id: '18446744073709551615',
      first_seen: '1.000',
      last_seen: '2.000',
    });
  });
});
