/** OTLP/HTTP content negotiation: which decoder a Content-Type selects, and the matching response type. */
import type { OtlpFormat } from './decode.ts';
import { UnsupportedContentTypeError } from './errors.ts';

/** Throws `UnsupportedContentTypeError` (415) for anything but OTLP protobuf or JSON. */
export function formatFromContentType(contentType: string | null | undefined): OtlpFormat {
  const mediaType = (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
  if (mediaType === 'application/x-protobuf' || mediaType === 'application/protobuf') return 'protobuf';
  if (mediaType === 'application/json') return 'json';
  throw new UnsupportedContentTypeError(contentType ?? '');
}

/** OTLP/HTTP answers in the format of the request. */
export function responseContentType(format: OtlpFormat): string {
  return format === 'protobuf' ? 'application/x-protobuf' : 'application/json';
}
