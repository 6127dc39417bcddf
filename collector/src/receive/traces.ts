/**
 * POST /v1/traces per OTLP/HTTP: decode, append to the write-ahead log, answer
 * with a (partial) success. Every failure is a google.rpc.Status in the
 * request's own encoding.
 */
import type { Context, Handler } from 'hono';
import type { CollectorMetrics } from '../metrics.ts';
import {
  type DecodeLimits,
  decodeTraceRequest,
  encodeExportResponse,
  formatFromContentType,
  type OtlpFormat,
  OtlpRequestError,
  readRequestBody,
  responseContentType,
} from '../otlp/index.ts';
import type { SpanRecord } from '../otlp/span-record.ts';
import {
  IngestClosedError,
  WalClosedError,
  WalFullError,
  WalRecordTooLargeError,
} from '../pipeline/index.ts';
import { ResentRequests } from '../pipeline/resent-requests.ts';
import { WalWriteError } from '../pipeline/wal/errors.ts';
import type { BodyBudgetEnv } from './body-budget.ts';
import type { RateLimitEnv } from './rate-limit.ts';
import { rateLimited } from './rate-limit.ts';
import type { Refuse } from './refusal.ts';
import { encodeRpcStatus } from './rpc-status.ts';

// A restarting collector is usually back within seconds.
const RETRY_AFTER_CLOSING_SECONDS = 5;

export type TracesEnv = {
  Variables: RateLimitEnv['Variables'] & Partial<BodyBudgetEnv['Variables']> & { bodyRead?: boolean };
};

export interface TracesRouteOptions {
  metrics: CollectorMetrics;
  limits: { maxBodyBytes: number; maxDecompressedBytes: number; decode?: Partial<DecodeLimits> };
  /**
   * Resolves once the spans are durable (in the write-ahead log), or once the
   * same request (by its digest) was found taken before: `'resent'`.
   */
  ingest(projectId: string, spans: SpanRecord[], digest: string): Promise<'appended' | 'resent'>;
}

/** The encoding to answer in: the request's own, or JSON when it is not OTLP at all. */
function replyFormat(contentType: string | undefined): OtlpFormat {
  try {
    return formatFromContentType(contentType);
  } catch {
    return 'json';
  }
}

/** The OTLP refusal, for the receive middleware in front of this route as much as for the route itself. */
export const refuseOtlp: Refuse = (c: Context, { status, message, retryAfterSeconds }) => {
  const { contentType, body } = encodeRpcStatus(status, message, replyFormat(c.req.header('content-type')));
  if (retryAfterSeconds !== undefined) c.header('retry-after', String(retryAfterSeconds));
  // Refused before (or while) reading the body: the rest of it is still on
  // the socket, so the connection cannot carry another request.
  if (!c.get('bodyRead')) c.header('connection', 'close');
  c.header('content-type', contentType);
  return c.body(body, status);
};

export function tracesRoute(options: TracesRouteOptions): Handler<TracesEnv> {
  const { metrics, limits } = options;
  return async (c) => {
    const format = replyFormat(c.req.header('content-type'));
    try {
      const identity = c.get('identity');
      let decoded: ReturnType<typeof decodeTraceRequest>;
      let body: Uint8Array;
      try {
        formatFromContentType(c.req.header('content-type'));
        body = await readRequestBody(c.req.raw, {
          contentEncoding: c.req.header('content-encoding'),
          maxBodyBytes: limits.maxBodyBytes,
          maxDecompressedBytes: limits.maxDecompressedBytes,
          budget: c.get('bodyBudget'),
        });
        c.set('bodyRead', true);
        decoded = decodeTraceRequest(body, format, limits.decode);
      } catch (error) {
        if (!(error instanceof OtlpRequestError)) throw error;
        return refuseOtlp(c, {
          status: error.status,
          message: error.message,
          ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
        });
      }

      const spans = decoded.spans.length;
      const waitMs = c.get('takeQuota')(spans);
      if (waitMs > 0) {
        metrics.spansRejected.inc({ reason: 'rate_limited' }, spans + decoded.rejectedSpans);
        return refuseOtlp(c, rateLimited(waitMs));
      }

      let outcome: 'appended' | 'resent' = 'appended';
      if (spans > 0) {
        try {
          // Hashed only for a request the log may take: not one refused above, nor one with no spans.
          const digest = ResentRequests.digest(identity.projectId, body);
          outcome = await options.ingest(identity.projectId, decoded.spans, digest);
        } catch (error) {
          if (error instanceof WalFullError) {
            metrics.spansRejected.inc({ reason: 'log_full' }, spans);
            return refuseOtlp(c, {
              status: 503,
              message: 'collector is at capacity (write-ahead log full); retry later',
              retryAfterSeconds: error.retryAfterSeconds,
            });
          }
          if (error instanceof WalRecordTooLargeError) {
            metrics.spansRejected.inc({ reason: 'too_large' }, spans);
            return refuseOtlp(c, {
              status: 413,
              message: `batch of ${spans} spans is ${error.bytes} bytes once decoded, over the log's ${error.limitBytes}; send smaller batches`,
            });
          }
          // Before the closed case: the log refused this append only, and takes the retry.
          if (error instanceof WalWriteError) {
            metrics.spansRejected.inc({ reason: 'log_write_failed' }, spans);
            return refuseOtlp(c, {
              status: 503,
              message: error.message,
              retryAfterSeconds: error.retryAfterSeconds,
            });
          }
          if (error instanceof IngestClosedError || error instanceof WalClosedError) {
            metrics.spansRejected.inc({ reason: 'shutting_down' }, spans);
            return refuseOtlp(c, {
              status: 503,
              message: 'collector is shutting down; retry later',
              retryAfterSeconds: RETRY_AFTER_CLOSING_SECONDS,
            });
          }
          throw error;
        }
      }
      // A resend is acknowledged as its first copy was, and not stored again.
      if (outcome === 'resent') metrics.spansResent.inc(spans);
      else metrics.spansReceived.inc({ format }, spans);
      if (outcome === 'appended' && decoded.rejectedSpans > 0)
        metrics.spansRejected.inc({ reason: 'invalid_span' }, decoded.rejectedSpans);

      c.header('content-type', responseContentType(format));
      return c.body(encodeExportResponse(decoded, format) as Uint8Array<ArrayBuffer>);
    } catch (error) {
      console.error(`[oversight] POST /v1/traces: ${(error as Error).stack ?? String(error)}`);
      return refuseOtlp(c, { status: 500, message: 'internal error' });
    }
  };
}
