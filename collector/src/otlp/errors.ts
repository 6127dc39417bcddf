/**
 * Typed failures of an OTLP/HTTP request, each carrying the HTTP status the
 * server should answer with, so the server maps them without string matching.
 */
export class OtlpRequestError extends Error {
  readonly status: 400 | 413 | 415 | 503;
  /** Sent as Retry-After: set when the same request may pass later. */
  readonly retryAfterSeconds: number | undefined;
  constructor(message: string, status: 400 | 413 | 415 | 503, retryAfterSeconds?: number) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The body cannot be decoded as an ExportTraceServiceRequest at all (400). */
export class OtlpDecodeError extends OtlpRequestError {
  constructor(message: string) {
    super(message, 400);
  }
}

/** The body (compressed or decompressed) exceeds its limit (413). */
export class BodyTooLargeError extends OtlpRequestError {
  readonly limitBytes: number;
  constructor(message: string, limitBytes: number) {
    super(message, 413);
    this.limitBytes = limitBytes;
  }
}

/**
 * Content-Encoding other than identity, gzip, deflate (zlib) or zstd (415).
 * `zstd: false` on a Node without zstd (before 22.15): the answer then names
 * only the codings this process takes, not one it just refused.
 */
export class UnsupportedEncodingError extends OtlpRequestError {
  readonly encoding: string;
  constructor(encoding: string, { zstd = true }: { zstd?: boolean } = {}) {
    const why =
      !zstd && encoding === 'zstd'
        ? ` (this collector runs on Node ${process.versions.node}, which has no zstd; Node 22.15+ has)`
        : '';
    super(
      `unsupported Content-Encoding "${encoding}"${why}: use ${zstd ? 'gzip, zstd, deflate' : 'gzip, deflate'} or none`,
      415,
    );
    this.encoding = encoding;
  }
}

/** Content-Type that is neither OTLP protobuf nor OTLP JSON (415). */
export class UnsupportedContentTypeError extends OtlpRequestError {
  readonly contentType: string;
  constructor(contentType: string) {
    super(`unsupported Content-Type "${contentType}": use application/x-protobuf or application/json`, 415);
    this.contentType = contentType;
  }
}

/** The body could not be read or decompressed (corrupt gzip, aborted upload) (400). */
export class InvalidBodyError extends OtlpRequestError {
  constructor(message: string) {
    super(message, 400);
  }
}

/**
 * The bodies being read at once already hold the collector's whole in-flight
 * budget (503): nothing is wrong with this one, and it may pass in a moment.
 */
export class BodyBudgetExhaustedError extends OtlpRequestError {
  /** `overdrawn` names the budget: every key's, or this key's share of it. */
  constructor(overdrawn: string, retryAfterSeconds: number) {
    super(`collector is busy: ${overdrawn}; retry later`, 503, retryAfterSeconds);
  }
}
