/** The decoder's one entry point: a request body in, accepted spans and the partial-success facts out. */
import { isUtf8 } from 'node:buffer';
import { decodeJsonSpans } from './decode-json.ts';
import { decodeProtobufSpans } from './decode-protobuf.ts';
import { DecodeReport, type TruncationCounts } from './decode-report.ts';
import { OtlpDecodeError } from './errors.ts';
import { type DecodeLimits, resolveLimits } from './limits.ts';
import type { SpanRecord } from './span-record.ts';

export type OtlpFormat = 'protobuf' | 'json';

export interface DecodeResult {
  /** Accepted spans, in request order. Spans of one resource share its `resourceAttributes` object. */
  spans: SpanRecord[];
  /** Spans dropped whole (bad ids, absurd start time, duplicates, over `maxSpans`). */
  rejectedSpans: number;
  /** Partial-success message: rejections and what was shortened; '' when the request was clean. */
  errorMessage: string;
  /** Total of `truncationCounts`: values, attributes, events, links changed in accepted spans. */
  truncations: number;
  truncationCounts: TruncationCounts;
}

/**
 * The coding whose magic number a body that failed to decode starts with.
 * No JSON text starts with these bytes, and a protobuf request that did would
 * have decoded. Deflate is recognised by the header zlib writes by default
 * (0x78, 32 KiB window); raw deflate has no header to recognise.
 */
function compressionOf(body: Uint8Array): 'gzip' | 'zstd' | 'deflate' | undefined {
  const [b0, b1, b2, b3] = body;
  if (b0 === 0x1f && b1 === 0x8b) return 'gzip';
  if (b0 === 0x28 && b1 === 0xb5 && b2 === 0x2f && b3 === 0xfd) return 'zstd';
  if (b0 === 0x78 && b1 !== undefined && ((b0 << 8) | b1) % 31 === 0) return 'deflate';
  return undefined;
}

/**
 * What a body that failed to decode looks like instead, as the header to fix:
 * compressed without saying so, or in the other OTLP encoding than its
 * Content-Type says. A JSON request opens with `{` (whitespace before it
 * allowed); a protobuf one with field 1, 0x0a, and its binary ids are
 * invalid UTF-8, which tells it apart from JSON after a newline.
 */
function headerHint(body: Uint8Array, format: OtlpFormat): string | undefined {
  const coding = compressionOf(body);
  if (coding) return `the body is ${coding}-compressed: send it with Content-Encoding: ${coding}`;
  if (format === 'protobuf') {
    const first = body.find((byte) => byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d);
    if (first === 0x7b) return 'the body is JSON: send it with Content-Type: application/json';
  } else if (body[0] === 0x0a && !isUtf8(body)) {
    return 'the body is protobuf: send it with Content-Type: application/x-protobuf';
  }
  return undefined;
}

/**
 * Decodes an OTLP ExportTraceServiceRequest body (already decompressed).
 * Throws `OtlpDecodeError` when the body is not a request at all; problems
 * confined to single spans are reported in the result instead.
 */
export function decodeTraceRequest(
  body: Uint8Array,
  format: OtlpFormat,
  limits?: Partial<DecodeLimits>,
): DecodeResult {
  const report = new DecodeReport(resolveLimits(limits));
  let spans: SpanRecord[];
  try {
    spans = format === 'protobuf' ? decodeProtobufSpans(body, report) : decodeJsonSpans(body, report);
  } catch (error) {
    // Anything else escaping the decoders (a stack overflow on hostile nesting, say) is still bad input.
    const message =
      error instanceof OtlpDecodeError
        ? error.message
        : `cannot decode ${format} ExportTraceServiceRequest: ${error instanceof Error ? error.message : String(error)}`;
    // Such a body fails on its first bytes ("invalid wire type 7 at offset 1"), which says
    // nothing about the header the client got wrong.
    const hint = headerHint(body, format);
    throw new OtlpDecodeError(hint ? `${message} (${hint})` : message);
  }
  return {
    spans,
    rejectedSpans: report.rejectedSpans,
    errorMessage: report.message(),
    truncations: report.truncations,
    truncationCounts: { ...report.counts },
  };
}
