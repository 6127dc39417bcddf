/** OTLP/HTTP trace intake: read the body, decode it, answer with a partial success. */
export { formatFromContentType, responseContentType } from './content-type.ts';
export { type DecodeResult, decodeTraceRequest, type OtlpFormat } from './decode.ts';
export { MAX_TIME_NS, MIN_TIME_NS, type TruncationCounts } from './decode-report.ts';
export {
  BodyBudgetExhaustedError,
  BodyTooLargeError,
  InvalidBodyError,
  OtlpDecodeError,
  OtlpRequestError,
  UnsupportedContentTypeError,
  UnsupportedEncodingError,
} from './errors.ts';
export { DEFAULT_DECODE_LIMITS, type DecodeLimits, resolveLimits } from './limits.ts';
export {
  type BodyBudget,
  type BodyLimits,
  type BodySource,
  DEFAULT_BODY_LIMITS,
  parseContentEncoding,
  type ReadBodyOptions,
  readRequestBody,
} from './read-body.ts';
export { encodeExportResponse } from './response.ts';
export type {
  Attributes,
  AttributeValue,
  SpanEvent,
  SpanKind,
  SpanLink,
  SpanRecord,
  StatusCode,
} from './span-record.ts';
export { truncationMarker } from './text.ts';
