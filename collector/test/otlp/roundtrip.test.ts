import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeTraceRequest, encodeExportResponse, type SpanRecord } from '../../src/otlp/index.ts';
import { END_NS, EVENT_NS, LINKED, makeSdkSpans, PARENT, START_NS, serialize } from './sdk-spans.ts';

describe.each(['protobuf', 'json'] as const)('OTel JS SDK spans through the %s serializer', (format) => {
  let chat: SpanRecord;
  let root: SpanRecord;
  let all: SpanRecord[];

  beforeAll(async () => {
    const result = decodeTraceRequest(serialize(await makeSdkSpans(), format), format);
    expect(result.rejectedSpans).toBe(0);
    expect(result.truncations).toBe(0);
    expect(result.errorMessage).toBe('');
    all = result.spans;
    const byName = new Map(result.spans.map((span) => [span.name, span]));
    chat = byName.get('chat gpt-4o') as SpanRecord;
    root = byName.get('root op') as SpanRecord;
  });

  it('decodes both spans', () => {
    expect(all).toHaveLength(2);
    expect(chat).toBeDefined();
    expect(root).toBeDefined();
  });

  it('keeps ids, parent and trace state', () => {
    expect(chat.traceId).toBe(PARENT.traceId);
    expect(chat.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(chat.spanId).not.toBe(PARENT.spanId);
    expect(chat.parentSpanId).toBe(PARENT.spanId);
    expect(chat.traceState).toBe(PARENT.traceState);
    expect(root.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(root.parentSpanId).toBe('');
    expect(root.traceState).toBe('');
  });

  it('keeps times as exact nanoseconds', () => {
    expect(chat.startTimeUnixNano).toBe(START_NS);
    expect(chat.endTimeUnixNano).toBe(END_NS);
    expect(root.startTimeUnixNano).toBe(START_NS);
    expect(root.endTimeUnixNano).toBe(END_NS);
  });

  it('maps kind and status', () => {
    expect(chat.kind).toBe('Client');
    expect(root.kind).toBe('Server');
    expect(chat.statusCode).toBe('Error');
    expect(chat.statusMessage).toBe('rate limited');
    expect(root.statusCode).toBe('Unset');
    expect(root.statusMessage).toBe('');
  });

  it('keeps resource and scope', () => {
    expect(chat.serviceName).toBe('checkout');
    expect(chat.resourceAttributes).toEqual({
      'service.name': 'checkout',
      'service.version': '1.2.3',
      'host.cpus': 2,
    });
    expect(chat.scopeName).toBe('oversight-test');
    expect(chat.scopeVersion).toBe('0.9.0');
  });

  it('keeps attributes of every type', () => {
    expect(chat.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o',
      unicode: 'héllo ✓ 𝄞',
      'gen_ai.usage.input_tokens': 1234,
      negative: -42,
      // Beyond 2^53 an int64 is returned as its exact decimal string.
      big: '1152921504606846976',
      'gen_ai.request.temperature': 0.25,
      streaming: true,
      'gen_ai.response.finish_reasons': ['stop', 'length'],
      ints: [1, 2, 3],
      doubles: [0.5, 1.5],
      flags: [true, false],
      empty: [],
      raw: 'AQID+g==',
      nested: { role: 'user', tokens: 7, parts: ['a', 'b'], meta: { ok: true } },
    });
    expect(root.attributes).toEqual({});
  });

  it('keeps events and links', () => {
    expect(chat.events).toEqual([
      { timeUnixNano: EVENT_NS, name: 'gen_ai.choice', attributes: { index: 0, finish_reason: 'stop' } },
    ]);
    expect(chat.links).toEqual([
      {
        traceId: LINKED.traceId,
        spanId: LINKED.spanId,
        traceState: '',
        attributes: { 'link.reason': 'retry' },
      },
    ]);
    expect(root.events).toEqual([]);
    expect(root.links).toEqual([]);
  });
});

describe('export response', () => {
  it('is empty on full success and parses with the OTel JS deserializers', () => {
    const clean = { rejectedSpans: 0, errorMessage: '' };
    expect(encodeExportResponse(clean, 'protobuf')).toHaveLength(0);
    expect(new TextDecoder().decode(encodeExportResponse(clean, 'json'))).toBe('{}');
    expect(ProtobufTraceSerializer.deserializeResponse(encodeExportResponse(clean, 'protobuf'))).toEqual({});
  });

  it('carries partial_success that the OTel JS exporters read', () => {
    const partial = { rejectedSpans: 3, errorMessage: 'rejected 3 spans: bad ids' };
    const fromProtobuf = ProtobufTraceSerializer.deserializeResponse(
      encodeExportResponse(partial, 'protobuf'),
    );
    expect(Number(fromProtobuf.partialSuccess?.rejectedSpans)).toBe(3);
    expect(fromProtobuf.partialSuccess?.errorMessage).toBe('rejected 3 spans: bad ids');
    const fromJson = JsonTraceSerializer.deserializeResponse(encodeExportResponse(partial, 'json'));
    expect(fromJson).toEqual({
      partialSuccess: { rejectedSpans: '3', errorMessage: 'rejected 3 spans: bad ids' },
    });
  });
});
