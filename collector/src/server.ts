import { createHash, timingSafeEqual } from 'node:crypto';
import { type Feedback, FeedbackSchema } from '@oversight/sdk/feedback';
import type { Context } from 'hono';
import { Hono } from 'hono';
import { z } from 'zod';
import type { CollectorMetrics } from './metrics.ts';
import {
  type DecodeLimits,
  decodeTraceRequest,
  encodeExportResponse,
  formatFromContentType,
  type OtlpFormat,
  OtlpRequestError,
  readRequestBody,
  responseContentType,
} from './otlp/index.ts';
import type { SpanRecord } from './otlp/span-record.ts';
import { IngestClosedError, WalClosedError, WalFullError } from './pipeline/index.ts';
import type { ApiKeyResolver, KeyIdentity } from './receive/api-keys.ts';
import { presentedKey } from './receive/api-keys.ts';
import type { RateLimiter } from './receive/rate-limit.ts';
import { encodeRpcStatus } from './receive/rpc-status.ts';

/**
 * The collector's HTTP surface, as a plain hono app: OTLP/HTTP traces per the
 * spec, user feedback, health, readiness and Prometheus metrics. Everything
 * stateful arrives through `AppDeps`, so tests and the CLI wire it alike.
 */
export interface AppDeps {
  apiKeys: ApiKeyResolver;
  rateLimiter: RateLimiter;
  metrics: CollectorMetrics;
  limits: { maxBodyBytes: number; maxDecompressedBytes: number; decode?: Partial<DecodeLimits> };
  /** Resolves once the spans are durable (in the write-ahead log). */
  ingest(projectId: string, spans: SpanRecord[]): Promise<void>;
  recordFeedback(projectId: string, feedback: Feedback): Promise<void>;
  readiness(): Promise<{ ready: boolean; reason?: string }>;
  /** Read-only SQL for `oversight sql` while this process holds the embedded data dir. */
  sql?: { token: string; run(query: string, format: string): Promise<string> };
}

type Variables = { identity: KeyIdentity };
type FailureStatus = 400 | 401 | 403 | 404 | 413 | 415 | 429 | 500 | 503;

// A restarting collector is usually back within seconds.
const RETRY_AFTER_CLOSING_SECONDS = 5;
// Feedback and admin SQL are small JSON documents; nobody needs megabytes there.
const FEEDBACK_MAX_BYTES = 64 * 1024;
const SQL_MAX_BYTES = 1024 * 1024;
const UNAUTHORIZED = 'missing or unknown API key (send Authorization: Bearer <key> or x-api-key: <key>)';

const SqlRequestSchema = z.object({
  query: z.string().min(1),
  // Output format names are bare identifiers; anything else never reaches the engine.
  format: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9]*$/, 'an output format name such as PrettyCompact')
    .optional(),
});

/** The encoding to answer in: the request's own, or JSON when it is not OTLP at all. */
function replyFormat(contentType: string | undefined): OtlpFormat {
  try {
    return formatFromContentType(contentType);
  } catch {
    return 'json';
  }
}

const retryAfterSeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

const sha256 = (text: string) => createHash('sha256').update(text).digest();
/** Constant-time comparison of an Authorization header with the expected bearer token. */
function bearerMatches(header: string | undefined, token: string): boolean {
  return timingSafeEqual(sha256(header ?? ''), sha256(`Bearer ${token}`));
}

async function readJson(c: Context, maxBytes: number): Promise<unknown> {
  const body = await readRequestBody(c.req.raw, {
    contentEncoding: c.req.header('content-encoding'),
    maxBodyBytes: maxBytes,
    maxDecompressedBytes: maxBytes,
  });
  try {
    return JSON.parse(new TextDecoder().decode(body));
  } catch (error) {
    throw new OtlpRequestError(`body must be JSON: ${(error as Error).message}`, 400);
  }
}

const issuesText = (error: z.ZodError) =>
  error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');

export function createApp(deps: AppDeps) {
  const app = new Hono<{ Variables: Variables }>();

  app.use('*', async (c, next) => {
    await next();
    deps.metrics.requests.inc({ route: c.req.routePath, status: String(c.res.status) });
  });

  app.get('/healthz', (c) => c.text('ok'));

  app.get('/readyz', async (c) => {
    const { ready, reason } = await deps.readiness();
    return ready ? c.text('ready') : c.text(`not ready: ${reason ?? 'unknown'}`, 503);
  });

  app.get('/metrics', async (c) => {
    c.header('content-type', deps.metrics.registry.contentType);
    return c.body(await deps.metrics.registry.metrics());
  });

  app.post('/v1/traces', async (c) => {
    // OTLP/HTTP: every failure is a google.rpc.Status in the request's encoding.
    const format = replyFormat(c.req.header('content-type'));
    let bodyRead = false;
    const fail = (status: FailureStatus, message: string, retryAfter?: number) => {
      const { contentType, body } = encodeRpcStatus(status, message, format);
      if (retryAfter !== undefined) c.header('retry-after', String(retryAfter));
      // Refused before (or while) reading the body: the rest of it is still on
      // the socket, so the connection cannot carry another request.
      if (!bodyRead) c.header('connection', 'close');
      c.header('content-type', contentType);
      return c.body(body, status);
    };
    try {
      const identity = deps.apiKeys.identify(presentedKey(c.req.raw.headers));
      if (!identity) return fail(401, UNAUTHORIZED);

      // A throttled key is refused before its body is read or decoded.
      const blockedMs = deps.rateLimiter.blockedFor(identity.keyId);
      if (blockedMs > 0) {
        return fail(
          429,
          `rate limit exceeded for this API key; retry in ${retryAfterSeconds(blockedMs)} s`,
          retryAfterSeconds(blockedMs),
        );
      }

      let decoded: ReturnType<typeof decodeTraceRequest>;
      try {
        formatFromContentType(c.req.header('content-type'));
        const body = await readRequestBody(c.req.raw, {
          contentEncoding: c.req.header('content-encoding'),
          maxBodyBytes: deps.limits.maxBodyBytes,
          maxDecompressedBytes: deps.limits.maxDecompressedBytes,
        });
        bodyRead = true;
        decoded = decodeTraceRequest(body, format, deps.limits.decode);
      } catch (error) {
        if (!(error instanceof OtlpRequestError)) throw error;
        return fail(error.status, error.message);
      }

      const spans = decoded.spans.length;
      const waitMs = deps.rateLimiter.take(identity.keyId, spans);
      if (waitMs > 0) {
        deps.metrics.spansRejected.inc({ reason: 'rate_limited' }, spans + decoded.rejectedSpans);
        const seconds = retryAfterSeconds(waitMs);
        return fail(429, `rate limit exceeded for this API key; retry in ${seconds} s`, seconds);
      }

      if (spans > 0) {
        try {
          await deps.ingest(identity.projectId, decoded.spans);
        } catch (error) {
          if (error instanceof WalFullError) {
            deps.metrics.spansRejected.inc({ reason: 'log_full' }, spans);
            return fail(
              503,
              'collector is at capacity (write-ahead log full); retry later',
              error.retryAfterSeconds,
            );
          }
          if (error instanceof IngestClosedError || error instanceof WalClosedError) {
            deps.metrics.spansRejected.inc({ reason: 'shutting_down' }, spans);
            return fail(503, 'collector is shutting down; retry later', RETRY_AFTER_CLOSING_SECONDS);
          }
          throw error;
        }
      }
      deps.metrics.spansReceived.inc({ format }, spans);
      if (decoded.rejectedSpans > 0)
        deps.metrics.spansRejected.inc({ reason: 'invalid_span' }, decoded.rejectedSpans);

      c.header('content-type', responseContentType(format));
      return c.body(encodeExportResponse(decoded, format) as Uint8Array<ArrayBuffer>);
    } catch (error) {
      console.error(`[oversight] POST /v1/traces: ${(error as Error).stack ?? String(error)}`);
      return fail(500, 'internal error');
    }
  });

  const requireKey = async (c: Context<{ Variables: Variables }>, next: () => Promise<void>) => {
    const identity = deps.apiKeys.identify(presentedKey(c.req.raw.headers));
    if (!identity) return c.json({ error: UNAUTHORIZED }, 401);
    c.set('identity', identity);
    await next();
  };

  app.post('/v1/feedback', requireKey, async (c) => {
    const identity = c.get('identity');
    const waitMs = deps.rateLimiter.take(identity.keyId, 1);
    if (waitMs > 0) {
      c.header('retry-after', String(retryAfterSeconds(waitMs)));
      return c.json({ error: 'rate limit exceeded for this API key' }, 429);
    }
    let json: unknown;
    try {
      json = await readJson(c, FEEDBACK_MAX_BYTES);
    } catch (error) {
      if (error instanceof OtlpRequestError) return c.json({ error: error.message }, error.status);
      throw error;
    }
    const parsed = FeedbackSchema.safeParse(json);
    if (!parsed.success) return c.json({ error: issuesText(parsed.error) }, 400);
    await deps.recordFeedback(identity.projectId, parsed.data);
    return c.json({ ok: true }, 202);
  });

  app.post('/internal/sql', async (c) => {
    const sql = deps.sql;
    if (!sql) return c.json({ error: 'not found' }, 404);
    if (!bearerMatches(c.req.header('authorization'), sql.token)) return c.json({ error: 'forbidden' }, 403);
    let json: unknown;
    try {
      json = await readJson(c, SQL_MAX_BYTES);
    } catch (error) {
      if (error instanceof OtlpRequestError) return c.json({ error: error.message }, error.status);
      throw error;
    }
    const parsed = SqlRequestSchema.safeParse(json);
    if (!parsed.success) return c.json({ error: issuesText(parsed.error) }, 400);
    try {
      // The store runs it read-only (`readonly=1`): writes and DDL are refused by the engine.
      return c.text(await sql.run(parsed.data.query, parsed.data.format ?? 'PrettyCompact'));
    } catch (error) {
      return c.text((error as Error).message, 400);
    }
  });

  app.onError((error, c) => {
    console.error(`[oversight] ${c.req.method} ${c.req.path}: ${error.stack ?? error.message}`);
    return c.json({ error: 'internal error' }, 500);
  });

  return app;
}
