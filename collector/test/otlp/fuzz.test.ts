/**
 * Property: whatever bytes arrive, the decoder returns a result or throws
 * OtlpDecodeError; it never throws anything else. Inputs are random bytes and
 * mutations (bit flips, truncations, splices) of valid requests from the real
 * serializers, plus structural JSON mutations.
 */
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type DecodeResult,
  decodeTraceRequest,
  OtlpDecodeError,
  type OtlpFormat,
} from '../../src/otlp/index.ts';
import { mutate, mutationArbitrary } from '../helpers/byte-mutations.ts';
import { makeSdkSpans, serialize } from './sdk-spans.ts';

const RUNS = 300;
const FORMATS: OtlpFormat[] = ['protobuf', 'json'];
/** Small limits so that limit paths are exercised too. */
const LIMITS = { maxAttributes: 4, maxDepth: 3, maxValueBytes: 64, maxNameBytes: 16, maxSpans: 3 };

function decodesOrRejectsCleanly(body: Uint8Array, format: OtlpFormat): void {
  for (const limits of [undefined, LIMITS]) {
    let result: DecodeResult;
    try {
      result = decodeTraceRequest(body, format, limits);
    } catch (error) {
      if (!(error instanceof OtlpDecodeError)) throw error;
      expect(error.message.length).toBeGreaterThan(0);
      continue;
    }
    expect(result.rejectedSpans).toBeGreaterThanOrEqual(0);
    for (const span of result.spans) {
      expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(span.spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(span.endTimeUnixNano).toBeGreaterThanOrEqual(span.startTimeUnixNano);
    }
  }
}

const mutation = mutationArbitrary(16);

describe('decoder fuzzing', () => {
  const valid = new Map<OtlpFormat, Uint8Array>();

  beforeAll(async () => {
    const spans = await makeSdkSpans();
    for (const format of FORMATS) valid.set(format, serialize(spans, format));
  });

  it.each(FORMATS)('random bytes as %s', (format) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => decodesOrRejectsCleanly(bytes, format)),
      { numRuns: RUNS },
    );
  });

  it.each(FORMATS)('mutated valid %s requests', (format) => {
    const original = valid.get(format) as Uint8Array;
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) =>
        decodesOrRejectsCleanly(mutate(original, mutations), format),
      ),
      { numRuns: RUNS },
    );
  });

  it('JSON requests with any JSON value put anywhere', () => {
    const original = JSON.parse(Buffer.from(valid.get('json') as Uint8Array).toString('utf8')) as unknown;
    const paths: (string | number)[][] = [];
    const walk = (node: unknown, path: (string | number)[]) => {
      paths.push(path);
      if (Array.isArray(node)) {
        for (let i = 0; i < node.length; i++) walk(node[i], [...path, i]);
      } else if (node && typeof node === 'object') {
        for (const [key, child] of Object.entries(node)) walk(child, [...path, key]);
      }
    };
    walk(original, []);
    fc.assert(
      fc.property(fc.nat({ max: paths.length - 1 }), fc.jsonValue({ maxDepth: 4 }), (index, replacement) => {
        const path = paths[index] as (string | number)[];
        let body: unknown = replacement;
        if (path.length > 0) {
          body = structuredClone(original);
          let target = body as Record<string | number, unknown>;
          for (const key of path.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
          target[path.at(-1) as string | number] = replacement;
        }
        decodesOrRejectsCleanly(Buffer.from(JSON.stringify(body) ?? 'null'), 'json');
      }),
      { numRuns: RUNS },
    );
  });

  it('deeply nested values never blow the stack', () => {
    for (const depth of [20, 5_000, 100_000]) {
      const json = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"k","value":${'{"arrayValue":{"values":['.repeat(depth)}${']}}'.repeat(depth)}}]}]}]}]}`;
      decodesOrRejectsCleanly(Buffer.from(json), 'json');
      decodesOrRejectsCleanly(nestedProtobufRequest(Math.min(depth, 5_000)), 'protobuf');
    }
  });

  it('cuts nesting at maxDepth in both formats, and refuses protobuf nesting past the parser limit', () => {
    const marker = '…[truncated: nested deeper than 10 levels]';
    // The attribute value is level 1; nine arrays fit, the tenth level becomes the marker.
    const expected = Array.from({ length: 8 }).reduce<unknown>((inner) => [inner], [marker]);
    const protobuf = decodeTraceRequest(nestedProtobufRequest(20), 'protobuf');
    expect(protobuf.spans[0]?.attributes.k).toEqual(expected);
    expect(protobuf.truncationCounts.depthCuts).toBe(1);
    const json = decodeTraceRequest(
      Buffer.from(
        JSON.stringify({
          resourceSpans: [
            {
              scopeSpans: [
                {
                  spans: [
                    {
                      traceId: TRACE_ID.toString('hex'),
                      spanId: SPAN_ID.toString('hex'),
                      startTimeUnixNano: '1767225600000000000',
                      endTimeUnixNano: '1767225600000000000',
                      attributes: [{ key: 'k', value: nestedJsonValue(20) }],
                    },
                  ],
                },
              ],
            },
          ],
        }),
      ),
      'json',
    );
    expect(json.spans[0]?.attributes.k).toEqual(expected);
    expect(() => decodeTraceRequest(nestedProtobufRequest(5_000), 'protobuf')).toThrow(
      new OtlpDecodeError('invalid protobuf ExportTraceServiceRequest: maximum nesting depth exceeded'),
    );
  });
});

const TRACE_ID = Buffer.from('5b8efff798038103d269b633813fc60c', 'hex');
const SPAN_ID = Buffer.from('00f067aa0ba902b7', 'hex');

/** A request whose one span has attribute `k` = `depth` nested array values, built on the wire. */
function nestedProtobufRequest(depth: number): Uint8Array {
  let value: Uint8Array = new Uint8Array(0);
  for (let i = 0; i < depth; i++) value = wrap(5, wrap(1, value));
  const keyValue = Buffer.concat([wrap(1, Buffer.from('k')), wrap(2, value)]);
  const time = Buffer.alloc(8);
  time.writeBigUInt64LE(1_767_225_600_000_000_000n);
  const span = Buffer.concat([
    wrap(1, TRACE_ID),
    wrap(2, SPAN_ID),
    Buffer.from([(7 << 3) | 1]),
    time,
    Buffer.from([(8 << 3) | 1]),
    time,
    wrap(9, keyValue),
  ]);
  return wrap(1, wrap(2, wrap(2, span)));
}

function nestedJsonValue(depth: number): unknown {
  let value: unknown = {};
  for (let i = 0; i < depth; i++) value = { arrayValue: { values: [value] } };
  return value;
}

/** One length-delimited protobuf field. */
function wrap(field: number, payload: Uint8Array): Uint8Array {
  const length: number[] = [];
  let n = payload.length;
  while (n > 0x7f) {
    length.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  length.push(n);
  return Buffer.concat([Buffer.from([(field << 3) | 2, ...length]), payload]);
}
