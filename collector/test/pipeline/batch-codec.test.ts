import { describe, expect, it } from 'vitest';
import { BatchDecodeError, batchDigest, decodeBatch, encodeBatch } from '../../src/pipeline/batch-codec.ts';
import { ResentRequests } from '../../src/pipeline/resent-requests.ts';
import { span } from './fixtures/spans.ts';

describe('batch codec', () => {
  it('round-trips a batch exactly, bigints and awkward numbers included', () => {
    const s = span('a', 3);
    s.attributes = {
      big: 2 ** 53 + 2,
      nan: Number.NaN,
      inf: Number.NEGATIVE_INFINITY,
      negZero: -0,
      nested: { list: [1, 'two', null, { deep: false }] },
      unicode: 'héllo \u{1F600}',
    };
    s.links = [{ traceId: 'f'.repeat(32), spanId: 'e'.repeat(16), traceState: 'a=b', attributes: {} }];
    s.endTimeUnixNano = 18_446_744_073_709_551_615n;
    const batch = { projectId: 'proj-1', receivedAt: 1_760_000_000_123, spans: [s, span('b', 4)] };
    const decoded = decodeBatch(encodeBatch(batch));
    expect(decoded).toEqual(batch);
    expect(Object.is(decoded.spans[0]?.attributes.negZero, -0)).toBe(true);
    expect(decoded.spans[0]?.endTimeUnixNano).toBe(18_446_744_073_709_551_615n);
  });

  it('rejects bytes it did not write', () => {
    expect(() => decodeBatch(new Uint8Array([9, 1, 2]))).toThrow(BatchDecodeError);
    const good = encodeBatch({ projectId: 'p', receivedAt: 1, spans: [span('a')] });
    expect(() => decodeBatch(good.subarray(0, good.byteLength - 20))).toThrow(BatchDecodeError);
  });

  it('rejects a well-formed value that is not a batch', () => {
    const wrong = encodeBatch({
      projectId: 'p',
      receivedAt: 1,
      spans: [{ ...span('a'), startTimeUnixNano: 5 }] as never,
    });
    expect(() => decodeBatch(wrong)).toThrow(/malformed batch/);
  });
});

describe('batch codec: the request digest', () => {
  it('keeps the digest in a header read without the body, and round-trips it', () => {
    const digest = ResentRequests.digest('p', new TextEncoder().encode('{"resourceSpans":[]}'));
    const batch = { projectId: 'p', receivedAt: 1, spans: [span('a')], digest };
    const bytes = encodeBatch(batch);
    expect(batchDigest(bytes)).toBe(digest);
    expect(decodeBatch(bytes)).toEqual(batch);
    // An entry without one reads as before, in the format older logs hold.
    const plain = encodeBatch({ projectId: 'p', receivedAt: 1, spans: [span('a')] });
    expect(plain[0]).toBe(1);
    expect(batchDigest(plain)).toBeUndefined();
    expect(decodeBatch(plain)).not.toHaveProperty('digest');
  });

  it('rejects an entry cut inside its header, and a digest that is not short ASCII', () => {
    const bytes = encodeBatch({ projectId: 'p', receivedAt: 1, spans: [], digest: 'x'.repeat(44) });
    expect(() => decodeBatch(bytes.subarray(0, 30))).toThrow('batch ends inside its header');
    expect(() => encodeBatch({ projectId: 'p', receivedAt: 1, spans: [], digest: 'é' })).toThrow(RangeError);
    expect(() => encodeBatch({ projectId: 'p', receivedAt: 1, spans: [], digest: 'x'.repeat(256) })).toThrow(
      RangeError,
    );
  });
});

describe('batch codec: feedback entries', () => {
  const feedback = [
    {
      id: 'fb-1',
      timestamp: 1_760_000_000_123.5,
      traceId: 'ab'.repeat(16),
      spanId: 'cd'.repeat(8),
      userId: 'u-1',
      kind: 'edit' as const,
      value: 0,
      comment: 'too long',
      correction: 'Thirty days.',
      metadata: { page: 'faq', 'x.y': 'é' },
    },
    { id: 'fb-2', timestamp: 1, traceId: 'ef'.repeat(16), kind: 'thumbs' as const, value: 1 },
  ];

  it('round-trips a feedback request as an entry with no spans', () => {
    const batch = { projectId: 'proj-1', receivedAt: 1_760_000_000_123, spans: [], feedback };
    expect(decodeBatch(encodeBatch(batch))).toEqual(batch);
  });

  it('leaves span batches as they were: no feedback key, same bytes as before', () => {
    const batch = { projectId: 'p', receivedAt: 5, spans: [span('a')] };
    const decoded = decodeBatch(encodeBatch(batch));
    expect('feedback' in decoded).toBe(false);
    expect(encodeBatch(batch)).toEqual(encodeBatch({ ...batch, feedback: undefined }));
  });

  it('rejects a feedback entry of an unknown kind or without an id', () => {
    const base = { projectId: 'p', receivedAt: 1, spans: [] };
    const unknownKind = encodeBatch({ ...base, feedback: [{ ...feedback[1], kind: 'like' }] as never });
    expect(() => decodeBatch(unknownKind)).toThrow(/malformed batch/);
    const noId = encodeBatch({ ...base, feedback: [{ ...feedback[1], id: '' }] as never });
    expect(() => decodeBatch(noId)).toThrow(/malformed batch/);
  });
});
