import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { decodeTraceRequest, OtlpDecodeError } from '../../src/otlp/index.ts';
import { jsonRequestObject, request, span, str, T0, type TestValue, TRACE_ID } from './requests.ts';

const SPAN_PATH = 'resourceSpans[0].scopeSpans[0].spans';

describe.each(['protobuf', 'json'] as const)('hostile %s input', (format) => {
  const decode = (...args: Parameters<typeof request> extends [unknown, ...infer R] ? R : never) =>
    decodeTraceRequest(request(format, ...args), format);

  it('rejects a span with a wrong-length trace id and keeps the others', () => {
    const good = span();
    const result = decode([good, span({ traceId: 'abcdef0123' }), span()]);
    expect(result.spans.map((s) => s.spanId)).toHaveLength(2);
    expect(result.spans[0]?.spanId).toBe(good.spanId);
    expect(result.rejectedSpans).toBe(1);
    expect(result.errorMessage).toBe(
      format === 'protobuf'
        ? `rejected 1 span: ${SPAN_PATH}[1].traceId: expected 16 bytes, got 5`
        : `rejected 1 span: ${SPAN_PATH}[1].traceId: expected 32 hex characters`,
    );
  });

  it('rejects all-zero and wrong-length span ids, grouping the same problem', () => {
    const result = decode([
      span({ spanId: '0000000000000000' }),
      span({ spanId: 'ab' }),
      span({ spanId: 'cd' }),
    ]);
    expect(result.spans).toHaveLength(0);
    expect(result.rejectedSpans).toBe(3);
    const lengthProblem = format === 'protobuf' ? 'expected 8 bytes, got 1' : 'expected 16 hex characters';
    expect(result.errorMessage).toBe(
      `rejected 3 spans: ${SPAN_PATH}[0].spanId: all-zero id is invalid; ` +
        `${SPAN_PATH}[1].spanId: ${lengthProblem} (and 1 more spans like it)`,
    );
  });

  it('keeps the first of duplicated span ids', () => {
    const first = span({ name: 'first' });
    const result = decode([first, { ...first, name: 'second' }]);
    expect(result.spans.map((s) => s.name)).toEqual(['first']);
    expect(result.rejectedSpans).toBe(1);
    expect(result.errorMessage).toBe(
      `rejected 1 span: ${SPAN_PATH}[1].spanId: duplicate span id in this request (the first one is kept)`,
    );
  });

  it('rejects missing or absurd start times and clamps bad end times to the start', () => {
    const result = decode([
      span({ startTimeUnixNano: '0' }),
      span({ startTimeUnixNano: '631152000000000000' /* 1990 */ }),
      span({ name: 'ends before it starts', endTimeUnixNano: (T0 - 5n).toString() }),
      span({ name: 'ends in 2300', endTimeUnixNano: '10413792000000000000' }),
    ]);
    expect(result.rejectedSpans).toBe(2);
    expect(result.spans.map((s) => [s.name, s.endTimeUnixNano])).toEqual([
      ['ends before it starts', T0],
      ['ends in 2300', T0],
    ]);
    expect(result.truncationCounts.clampedTimestamps).toBe(2);
    expect(result.errorMessage).toBe(
      `rejected 2 spans: ${SPAN_PATH}[0].startTimeUnixNano: startTimeUnixNano is missing (0); ` +
        `${SPAN_PATH}[1].startTimeUnixNano: startTimeUnixNano is outside 2000-01-01..2100-01-01. ` +
        'accepted with changes: 2 timestamps out of range (clamped)',
    );
  });

  it('rejects spans beyond maxSpans', () => {
    const body = request(format, [span(), span(), span()]);
    const result = decodeTraceRequest(body, format, { maxSpans: 2 });
    expect(result.spans).toHaveLength(2);
    expect(result.errorMessage).toBe(`rejected 1 span: ${SPAN_PATH}[2]: request holds more than 2 spans`);
  });

  it('drops attributes over the limit, on spans, resources, events and kvlists', () => {
    const attributes = [str('a', '1'), str('b', '2'), str('c', '3')];
    const body = request(
      format,
      [
        span({
          attributes: [...attributes, { key: 'map', value: { kvlistValue: { values: attributes } } }],
          events: [{ timeUnixNano: T0.toString(), name: 'e', attributes }],
        }),
      ],
      attributes,
    );
    const result = decodeTraceRequest(body, format, { maxAttributes: 2 });
    const [record] = result.spans;
    expect(record?.attributes).toEqual({ a: '1', b: '2' });
    expect(record?.resourceAttributes).toEqual({ a: '1', b: '2' });
    expect(record?.events[0]?.attributes).toEqual({ a: '1', b: '2' });
    // 2 on the span (c and the map itself), 1 on the resource, 1 on the event.
    expect(result.truncationCounts.droppedAttributes).toBe(4);
    expect(result.rejectedSpans).toBe(0);
    expect(result.errorMessage).toBe('accepted with changes: 4 attributes over the limit of 2');

    const withMap = decodeTraceRequest(body, format, { maxAttributes: 4 });
    expect(withMap.spans[0]?.attributes.map).toEqual({ a: '1', b: '2', c: '3' });
  });

  it('truncates long strings at a UTF-8 boundary with a visible marker', () => {
    const result = decodeTraceRequest(
      request(format, [
        span({
          attributes: [str('prompt', 'abcdefghijklmno'), str('accents', 'ééééé')],
          status: { code: 2, message: 'x'.repeat(30) },
        }),
      ]),
      format,
      { maxValueBytes: 10 },
    );
    const [record] = result.spans;
    expect(record?.attributes).toEqual({
      prompt: 'abcdefghij…[truncated 5 bytes]',
      // 'é' is 2 bytes: the 10-byte cut falls between characters here, so 5 fit.
      accents: 'ééééé',
    });
    expect(record?.statusMessage).toBe('xxxxxxxxxx…[truncated 20 bytes]');
    const odd = decodeTraceRequest(
      request(format, [span({ attributes: [str('accents', 'ééééé')] })]),
      format,
      {
        maxValueBytes: 5,
      },
    );
    expect(odd.spans[0]?.attributes.accents).toBe('éé…[truncated 6 bytes]');
    expect(result.truncationCounts.truncatedStrings).toBe(2);
  });

  it('keeps megabytes of prompt under the default limit', () => {
    const prompt = 'p'.repeat(900_000);
    const result = decodeTraceRequest(
      request(format, [span({ attributes: [str('gen_ai.input.messages', prompt)] })]),
      format,
    );
    expect(result.spans[0]?.attributes['gen_ai.input.messages']).toBe(prompt);
    expect(result.truncations).toBe(0);
  });

  it('replaces values nested deeper than maxDepth with a marker', () => {
    const deep: TestValue = { arrayValue: { values: [{ arrayValue: { values: [{ intValue: 1 }] } }] } };
    const result = decodeTraceRequest(
      request(format, [
        span({
          attributes: [
            { key: 'deep', value: deep },
            { key: 'map', value: { kvlistValue: { values: [{ key: 'inner', value: deep }] } } },
          ],
        }),
      ]),
      format,
      { maxDepth: 2 },
    );
    const marker = '…[truncated: nested deeper than 2 levels]';
    expect(result.spans[0]?.attributes).toEqual({ deep: [marker], map: { inner: marker } });
    expect(result.truncationCounts.depthCuts).toBe(2);
  });

  it('keeps a "__proto__" attribute as data', () => {
    const result = decode([span({ attributes: [str('__proto__', 'x'), str('ok', 'y')] })]);
    const attributes = result.spans[0]?.attributes ?? {};
    expect(Object.keys(attributes)).toEqual(['__proto__', 'ok']);
    expect(Object.getPrototypeOf(attributes)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(attributes, '__proto__')?.value).toBe('x');
  });

  it('drops links with invalid ids and events over the limit', () => {
    const result = decodeTraceRequest(
      request(format, [
        span({
          links: [
            { traceId: 'ab', spanId: '0102030405060708' },
            { traceId: '0102030405060708090a0b0c0d0e0f10', spanId: '0102030405060708' },
          ],
          events: [
            { timeUnixNano: '0', name: 'unset time' },
            { timeUnixNano: T0.toString(), name: 'second' },
          ],
        }),
      ]),
      format,
      { maxEventsPerSpan: 1 },
    );
    const [record] = result.spans;
    expect(record?.links.map((l) => l.traceId)).toEqual(['0102030405060708090a0b0c0d0e0f10']);
    // An event without a time gets the span's start.
    expect(record?.events).toEqual([{ timeUnixNano: T0, name: 'unset time', attributes: {} }]);
    expect(result.truncationCounts).toMatchObject({
      droppedLinks: 1,
      droppedEvents: 1,
      clampedTimestamps: 1,
    });
  });
});

describe('hostile protobuf input', () => {
  it('replaces invalid UTF-8 with U+FFFD and counts it', () => {
    const body = request('protobuf', [
      span({
        name: Buffer.from([0x6f, 0x70, 0xc3]),
        attributes: [str('k', Buffer.from([0x61, 0xff, 0x62]))],
      }),
    ]);
    const result = decodeTraceRequest(body, 'protobuf');
    expect(result.spans[0]?.name).toBe('op\uFFFD');
    expect(result.spans[0]?.attributes.k).toBe('a\uFFFDb');
    expect(result.truncationCounts.invalidUtf8).toBe(2);
    expect(result.errorMessage).toBe(
      'accepted with changes: 2 strings with invalid UTF-8 (replaced with U+FFFD)',
    );
  });

  it('counts invalid UTF-8 in repeated keys every time, and keeps distinct keys apart', () => {
    const badKey = Buffer.from([0x6b, 0xfe]);
    const body = request('protobuf', [
      span({ attributes: [str(badKey, '1'), str('model', 'a'), str('modem', 'b')] }),
      span({ attributes: [str(badKey, '2'), str('model', 'c'), str('modem', 'd')] }),
    ]);
    const result = decodeTraceRequest(body, 'protobuf');
    expect(result.spans.map((s) => s.attributes)).toEqual([
      { 'k\uFFFD': '1', model: 'a', modem: 'b' },
      { 'k\uFFFD': '2', model: 'c', modem: 'd' },
    ]);
    expect(result.truncationCounts.invalidUtf8).toBe(2);
  });

  it('does not count a genuine U+FFFD as invalid', () => {
    const result = decodeTraceRequest(
      request('protobuf', [span({ attributes: [str('k', 'a\uFFFDb')] })]),
      'protobuf',
    );
    expect(result.spans[0]?.attributes.k).toBe('a\uFFFDb');
    expect(result.truncations).toBe(0);
  });

  it('throws OtlpDecodeError naming the problem for a truncated body', () => {
    const body = request('protobuf', [span()]);
    expect(body).toHaveLength(98);
    // The cut lands inside the 8-byte end time that starts at offset 90.
    expect(() => decodeTraceRequest(body.subarray(0, 91), 'protobuf')).toThrow(
      new OtlpDecodeError('invalid protobuf ExportTraceServiceRequest: index out of range: 90 + 8 > 91'),
    );
  });

  it('refuses a request that expands into more messages than maxMessages', () => {
    const attributes = Array.from({ length: 50 }, (_, i) => str(`k${i}`, 'v'));
    const body = request('protobuf', [span({ attributes })]);
    // Request, ResourceSpans, Resource, ScopeSpans, scope, Span + 50 × (KeyValue + AnyValue) = 106.
    expect(decodeTraceRequest(body, 'protobuf', { maxMessages: 106 }).spans).toHaveLength(1);
    expect(() => decodeTraceRequest(body, 'protobuf', { maxMessages: 105 })).toThrow(
      new OtlpDecodeError('request holds more than 105 protobuf messages (maxMessages)'),
    );
    // The budget is per request: the next decode starts afresh.
    expect(decodeTraceRequest(body, 'protobuf', { maxMessages: 106 }).spans).toHaveLength(1);
  });

  it('refuses a JSON request that would expand into more values than twice maxMessages, before parsing it', () => {
    // Empty events cost three bytes of JSON each and far more as objects: what a JSON bomb is made of.
    const request = jsonRequestObject([span()]) as {
      resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[];
    };
    const first = request.resourceSpans[0]?.scopeSpans[0]?.spans[0] as Record<string, unknown>;
    first.events = Array.from({ length: 1000 }, () => ({}));
    const body = Buffer.from(JSON.stringify(request));
    expect(() => decodeTraceRequest(body, 'json', { maxMessages: 500 })).toThrow(
      new OtlpDecodeError('request holds more than 1000 JSON objects, arrays and values (2 × maxMessages)'),
    );
    expect(decodeTraceRequest(body, 'json', { maxMessages: 1100 }).spans).toHaveLength(1);
    // A string full of braces and commas is one value.
    const text = Buffer.from(
      JSON.stringify(jsonRequestObject([span({ attributes: [str('k', '{,['.repeat(2000))] })])),
    );
    expect(decodeTraceRequest(text, 'json', { maxMessages: 100 }).spans).toHaveLength(1);
  });

  it('decodes an empty body as an empty request', () => {
    expect(decodeTraceRequest(new Uint8Array(0), 'protobuf')).toMatchObject({ spans: [], rejectedSpans: 0 });
    // OTLP/HTTP: a request that carries no telemetry SHOULD be answered with success, in JSON too.
    for (const body of ['', ' \r\n'])
      expect(decodeTraceRequest(Buffer.from(body), 'json')).toMatchObject({
        spans: [],
        rejectedSpans: 0,
        errorMessage: '',
      });
  });
});

describe('hostile JSON input', () => {
  const decodeObject = (value: unknown) => decodeTraceRequest(Buffer.from(JSON.stringify(value)), 'json');

  it('rejects a span with a field of the wrong type, naming it, and keeps the others', () => {
    // OTel exporters do not retry a 400: refusing the request would lose its good spans too.
    const body = jsonRequestObject([span()]) as { resourceSpans: { scopeSpans: { spans: object[] }[] }[] };
    const spans = body.resourceSpans[0]?.scopeSpans[0]?.spans as Record<string, unknown>[];
    spans.push({ ...spans[0], spanId: 'bbbbbbbbbbbbbbbb', name: 5 });
    spans.push({ ...spans[0], spanId: 'cccccccccccccccc', name: 6 });
    spans.push({ ...spans[0], spanId: 'dddddddddddddddd', name: 'fine' });
    const result = decodeObject(body);
    expect(result.spans.map((s) => s.name)).toEqual([spans[0]?.name, 'fine']);
    expect(result.rejectedSpans).toBe(2);
    expect(result.errorMessage).toBe(
      `rejected 2 spans: ${SPAN_PATH}[1].name: Invalid input: expected string, received number (and 1 more spans like it)`,
    );
  });

  it('names nested value paths and bad integers of the span it rejects', () => {
    const nested = jsonRequestObject([
      span({ attributes: [{ key: 'list', value: { arrayValue: { values: [{ stringValue: 'ok' }] } } }] }),
      span(),
    ]);
    const text = JSON.stringify(nested).replace('{"stringValue":"ok"}', '{"intValue":"12x"}');
    const deep = decodeTraceRequest(Buffer.from(text), 'json');
    expect(deep.spans).toHaveLength(1);
    expect(deep.errorMessage).toBe(
      `rejected 1 span: ${SPAN_PATH}[0].attributes[0].value.arrayValue.values[0].intValue: expected a decimal integer`,
    );
    const badTime = JSON.stringify(jsonRequestObject([span({ startTimeUnixNano: 'soon' }), span()]));
    const timed = decodeTraceRequest(Buffer.from(badTime), 'json');
    expect(timed.spans).toHaveLength(1);
    expect(timed.errorMessage).toBe(
      `rejected 1 span: ${SPAN_PATH}[0].startTimeUnixNano: expected an unsigned decimal integer`,
    );
    // Above the spans, a wrong type leaves nothing to keep apart: the request is refused.
    expect(() => decodeObject({ resourceSpans: [{ scopeSpans: [{ spans: {} }] }] })).toThrow(
      new OtlpDecodeError(
        'resourceSpans[0].scopeSpans[0].spans: Invalid input: expected array, received object',
      ),
    );
    const resource = jsonRequestObject([span()], [{ key: 'n', value: { intValue: 'x' } } as never]);
    expect(() => decodeObject(resource)).toThrow(
      new OtlpDecodeError(
        'resourceSpans[0].resource.attributes[0].value.intValue: expected a decimal integer',
      ),
    );
  });

  it('rejects bodies that are not a request object', () => {
    expect(() => decodeObject([])).toThrow(
      new OtlpDecodeError('(root): expected an ExportTraceServiceRequest JSON object'),
    );
    expect(() => decodeTraceRequest(Buffer.from('{"resourceSpans": [1,'), 'json')).toThrow(
      new OtlpDecodeError('invalid JSON: Unexpected end of JSON input'),
    );
  });

  it('accepts numbers and strings for int64, enum names, upper-case hex and null fields', () => {
    const result = decodeObject({
      resourceSpans: [
        {
          resource: null,
          scopeSpans: [
            {
              scope: null,
              spans: [
                {
                  traceId: '5B8EFFF798038103D269B633813FC60C',
                  spanId: 'AAAAAAAAAAAAAAAA',
                  parentSpanId: null,
                  name: 'upper',
                  kind: 'SPAN_KIND_PRODUCER',
                  startTimeUnixNano: Number(T0),
                  endTimeUnixNano: (T0 + 10n).toString(),
                  attributes: [
                    { key: 'n', value: { intValue: 7 } },
                    { key: 's', value: { intValue: '-9223372036854775808' } },
                    { key: 'nan', value: { doubleValue: 'NaN' } },
                    { key: 'empty', value: {} },
                  ],
                  status: { code: 'STATUS_CODE_OK' },
                },
              ],
            },
          ],
        },
      ],
    });
    const [record] = result.spans;
    expect(record).toMatchObject({
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: 'aaaaaaaaaaaaaaaa',
      parentSpanId: '',
      kind: 'Producer',
      statusCode: 'Ok',
      startTimeUnixNano: T0,
      endTimeUnixNano: T0 + 10n,
      serviceName: '',
      scopeName: '',
    });
    expect(record?.attributes).toEqual({ n: 7, s: '-9223372036854775808', nan: Number.NaN, empty: null });
  });

  it('accepts uint32 and fixed32 fields (dropped counts, flags) as numbers or decimal strings', () => {
    const asStrings = { droppedAttributesCount: '3', flags: '257' };
    const body = jsonRequestObject([span()]) as {
      resourceSpans: { resource?: object; scopeSpans: { spans: Record<string, unknown>[] }[] }[];
    };
    const first = body.resourceSpans[0];
    if (!first) throw new Error('no resourceSpans');
    first.resource = { attributes: [], droppedAttributesCount: '1' };
    const sent = first.scopeSpans[0]?.spans[0] ?? {};
    Object.assign(sent, asStrings, {
      droppedEventsCount: 2,
      droppedLinksCount: '0',
      events: [{ timeUnixNano: T0.toString(), name: 'e', droppedAttributesCount: '4' }],
      links: [{ traceId: TRACE_ID, spanId: 'bbbbbbbbbbbbbbbb', flags: '1', droppedAttributesCount: '5' }],
    });
    const result = decodeObject(body);
    expect(result.spans).toHaveLength(1);
    expect(result.rejectedSpans).toBe(0);
    expect(
      decodeObject({ resourceSpans: [{ scopeSpans: [{ spans: [{ ...sent, flags: '-1' }] }] }] }).errorMessage,
    ).toBe(
      'rejected 1 span: resourceSpans[0].scopeSpans[0].spans[0].flags: expected an unsigned integer (number or decimal string)',
    );
  });

  // What protobuf's own JSON printers write with the original names kept
  // (Python's MessageToJson(preserving_proto_field_name=True), protojson's UseProtoNames).
  const toProtoNames = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(toProtoNames);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
        toProtoNames(v),
      ]),
    );
  };

  it('takes the proto field names (resource_spans, trace_id, …) as the OTel Collector does', () => {
    // Read as unknown fields, the whole request came out empty: a 200, nothing stored.
    const camel = jsonRequestObject(
      [
        span({
          parentSpanId: 'cccccccccccccccc',
          status: { code: 2, message: 'boom' },
          attributes: [
            { key: 'list', value: { arrayValue: { values: [{ intValue: 7 }, { doubleValue: 1.5 }] } } },
            { key: 'map', value: { kvlistValue: { values: [{ key: 'flag', value: { boolValue: true } }] } } },
            { key: 'raw', value: { bytesValue: Buffer.from([1, 2, 3]) } },
          ],
          events: [{ timeUnixNano: T0.toString(), name: 'e', attributes: [str('ek', 'ev')] }],
          links: [{ traceId: TRACE_ID, spanId: 'bbbbbbbbbbbbbbbb', attributes: [str('lk', 'lv')] }],
        }),
      ],
      [str('service.name', 'svc')],
    );
    const snake = toProtoNames(camel) as Record<string, unknown>;
    expect(Object.keys(snake)).toEqual(['resource_spans']);
    const expected = decodeObject(camel);
    expect(expected.spans).toHaveLength(1);
    expect(decodeObject(snake)).toEqual(expected);
    // A name given both ways is read once, under the JSON name the spec asks for.
    const both = decodeObject({ ...snake, resourceSpans: [] });
    expect(both.spans).toEqual([]);
  });

  it('takes the proto field names from any resource of a relayed request, and from spans in a hand-made one', () => {
    type Request = { resourceSpans: { scopeSpans: { spans: unknown[] }[] }[] };
    const names = (value: unknown) => decodeObject(value).spans.map((s) => s.name);
    const js = (name: string) => jsonRequestObject([span({ name })], [str('service.name', 'js')]) as Request;
    const py = (name: string) =>
      (
        toProtoNames(jsonRequestObject([span({ name })], [str('service.name', 'py')])) as Record<
          string,
          unknown[]
        >
      ).resource_spans as unknown[];
    // A relay that puts two producers' resources into one request, in either order: no resource's spans are lost.
    expect(names({ resourceSpans: [...js('js').resourceSpans, ...py('py')] })).toEqual(['js', 'py']);
    expect(names({ resourceSpans: [...py('py'), ...js('js').resourceSpans] })).toEqual(['py', 'js']);
    // Two scopes of one resource, the second's written with the .proto names.
    const scopes = js('first');
    const second = toProtoNames(js('second').resourceSpans[0]?.scopeSpans[0]);
    scopes.resourceSpans[0]?.scopeSpans.push(second as Request['resourceSpans'][0]['scopeSpans'][0]);
    expect(names(scopes)).toEqual(['first', 'second']);
    // A request built by hand around spans a protobuf printer wrote.
    const hand = jsonRequestObject([span({ name: 'a' }), span({ name: 'b' })]) as Request;
    const scope = hand.resourceSpans[0]?.scopeSpans[0] as Request['resourceSpans'][0]['scopeSpans'][0];
    scope.spans = scope.spans.map(toProtoNames);
    expect(names(hand)).toEqual(['a', 'b']);
  });

  it('says when ids are base64, as protobuf’s JSON mapping writes bytes, rather than hex', () => {
    const traceId = Buffer.from(TRACE_ID, 'hex').toString('base64');
    const spanId = Buffer.from('0102030405060708', 'hex').toString('base64');
    const wrong = decodeObject(jsonRequestObject([span({ traceId }), span({ spanId }), span()]));
    expect(wrong.spans).toHaveLength(1);
    expect(wrong.errorMessage).toBe(
      `rejected 2 spans: ${SPAN_PATH}[0].traceId: expected 32 hex characters, got base64 (OTLP/JSON writes ids as hex); ` +
        `${SPAN_PATH}[1].spanId: expected 16 hex characters, got base64 (OTLP/JSON writes ids as hex)`,
    );
    // Base64 of the wrong length is just a wrong id.
    const short = decodeObject(jsonRequestObject([span({ traceId: 'AAEC' })]));
    expect(short.errorMessage).toBe(`rejected 1 span: ${SPAN_PATH}[0].traceId: expected 32 hex characters`);
  });

  it('counts lone surrogates and invalid UTF-8 bytes', () => {
    const body = Buffer.concat([
      Buffer.from(
        JSON.stringify(jsonRequestObject([span({ attributes: [str('k', 'LONE')] })])).replace(
          'LONE',
          '\\ud800',
        ),
      ),
    ]);
    const result = decodeTraceRequest(body, 'json');
    expect(result.spans[0]?.attributes.k).toBe('\uFFFD');
    expect(result.truncationCounts.invalidUtf8).toBe(1);
  });
});
