/** ExportTraceServiceResponse bodies, with partial_success when something was rejected or changed. */
import type { DecodeResult, OtlpFormat } from './decode.ts';
import { ExportTraceServiceResponseType } from './proto-schema.ts';

export function encodeExportResponse(
  result: Pick<DecodeResult, 'rejectedSpans' | 'errorMessage'>,
  format: OtlpFormat,
): Uint8Array {
  // The spec: partial_success stays unset on full success; a message alone is a warning.
  const partial = result.rejectedSpans > 0 || result.errorMessage !== '';
  if (format === 'json') {
    const body = partial
      ? {
          partialSuccess: {
            // int64 is a decimal string in the protobuf JSON mapping.
            rejectedSpans: String(result.rejectedSpans),
            errorMessage: result.errorMessage,
          },
        }
      : {};
    return new TextEncoder().encode(JSON.stringify(body));
  }
  if (!partial) return new Uint8Array(0);
  const message = ExportTraceServiceResponseType.fromObject({
    partialSuccess: { rejectedSpans: result.rejectedSpans, errorMessage: result.errorMessage },
  });
  return ExportTraceServiceResponseType.encode(message).finish();
}
