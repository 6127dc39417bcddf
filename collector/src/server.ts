import { Hono } from 'hono';
import type { Context } from 'hono';
import type { ApiKeyResolver } from './receive/api-keys.ts';
import { presentedKey } from './receive/api-keys.ts';
import type { RateLimiter } from './receive/rate-limit.ts';
import type { CollectorMetrics } from './metrics.ts';
import type { SpanRecord } from './otlp/span-record.ts';
import {
  type DecodeLimits,
  type DecodeResult,
  type OtlpFormat,
  OtlpRequestError,
  decodeTraceRequest,
  encodeExportResponse,
  formatFromContentType,
  readRequestBody,
  responseContentType,
} from './otlp/index.ts';
import { IngestClosedError, WalClosedError, WalFullError } from './pipeline/index.ts';
import { FeedbackSchema, type Feedback } from '@oversight/sdk/feedback';

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

type Variables = { projectId: string };

// A restarting collector is usually back within seconds.
const RETRY_AFTER_CLOSING_SECONDS = 5;

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

  const requireProject = async (c: Context<{ Variables: Variables }>, next: () => Promise<void>) => {
    const projectId = deps.apiKeys.projectFor(presentedKey(c.req.raw.headers));
    if (!projectId) {
      return c.json({ error: 'missing or unknown API key (send Authorization: Bearer <key> or x-api-key)' }, 401);
    }
    c.set('projectId', projectId);
    await next();
  };

  app.post('/v1/traces', requireProject, async (c) => {
    // OTLP/HTTP answers errors in the request's own encoding when it can.
    let format: OtlpFormat = 'json';
    const reply = (status: 400 | 413 | 415 | 429 | 503, message: string) =>
      format === 'json' ? c.json({ code: status, message }, status) : c.text(message, status);
    let decoded: DecodeResult;
    try {
      format = formatFromContentType(c.req.header('content-type'));
      const body = await readRequestBody(c.req.raw, {
        contentEncoding: c.req.header('content-encoding'),
        maxBodyBytes: deps.limits.maxBodyBytes,
        maxDecompressedBytes: deps.limits.maxDecompressedBytes,
      });
      decoded = decodeTraceRequest(body, format, deps.limits.decode);
    } catch (error) {
      if (!(error instanceof OtlpRequestError)) throw error;
      deps.metrics.spansRejected.inc({ reason: error.status === 400 ? 'malformed' : 'refused' });
      return reply(error.status, error.message);
    }

    const projectId = c.get('projectId');
    const waitMs = deps.rateLimiter.take(projectId, decoded.spans.length);
    if (waitMs > 0) {
      deps.metrics.spansRejected.inc({ reason: 'rate_limited' }, decoded.spans.length);
      c.header('retry-after', String(Math.ceil(waitMs / 1000)));
      return reply(429, `rate limit exceeded for this API key; retry in ${Math.ceil(waitMs / 1000)} s`);
    }

    if (decoded.spans.length > 0) {
      try {
        await deps.ingest(projectId, decoded.spans);
      } catch (error) {
        if (error instanceof WalFullError) {
          deps.metrics.spansRejected.inc({ reason: 'log_full' }, decoded.spans.length);
          c.header('retry-after', String(error.retryAfterSeconds));
          return reply(503, 'collector is at capacity (write-ahead log full); retry later');
        }
        if (error instanceof IngestClosedError || error instanceof WalClosedError) {
          c.header('retry-after', String(RETRY_AFTER_CLOSING_SECONDS));
          return reply(503, 'collector is shutting down; retry later');
        }
        throw error;
      }
    }
    deps.metrics.spansReceived.inc({ format }, decoded.spans.length);
    if (decoded.rejectedSpans > 0) deps.metrics.spansRejected.inc({ reason: 'invalid_span' }, decoded.rejectedSpans);

    c.header('content-type', responseContentType(format));
    return c.body(encodeExportResponse(decoded, format) as Uint8Array<ArrayBuffer> | string);
  });

  app.post('/v1/feedback', requireProject, async (c) => {
    let json: unknown;
    try {
      json = await c.req.json();
    } catch {
      return c.json({ error: 'body must be JSON' }, 400);
    }
    const parsed = FeedbackSchema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
      return c.json({ error: issues.join('; ') }, 400);
    }
    await deps.recordFeedback(c.get('projectId'), parsed.data);
    return c.json({ ok: true }, 202);
  });

  app.post('/internal/sql', async (c) => {
    const sql = deps.sql;
    if (!sql || c.req.header('authorization') !== `Bearer ${sql.token}`) return c.json({ error: 'forbidden' }, 403);
    const { query, format } = await c.req.json<{ query: string; format?: string }>();
    try {
      return c.text(await sql.run(query, format ?? 'PrettyCompact'));
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
