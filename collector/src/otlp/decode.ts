/** The decoder's one entry point: a request body in, accepted spans and the partial-success facts out. */
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
    if (error instanceof OtlpDecodeError) throw error;
    // Anything else escaping the decoders (a stack overflow on hostile nesting, say) is still bad input.
    const reason = error instanceof Error ? error.message : String(error);
    throw new OtlpDecodeError(`cannot decode ${format} ExportTraceServiceRequest: ${reason}`);
  }
  return {
    spans,
    rejectedSpans: report.rejectedSpans,
    errorMessage: report.message(),
    truncations: report.truncations,
    truncationCounts: { ...report.counts },
  };
}
