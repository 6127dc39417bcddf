/**
 * The collector's HTTP surface, as a plain hono app: OTLP/HTTP traces per the
 * spec, user feedback, health, readiness, Prometheus metrics and the admin
 * SQL route. Everything stateful arrives through `AppDeps`, so tests and the
 * CLI wire it alike. Auth, rate limits and JSON bodies are the middleware of
 * this folder, in front of the routes that need them.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { CollectorMetrics } from '../metrics.ts';
import type { DecodeLimits } from '../otlp/index.ts';
import type { SpanRecord } from '../otlp/span-record.ts';
import type { FeedbackEntry } from '../pipeline/index.ts';
import type { ApiKeyResolver } from './api-keys.ts';
import { adminTokenAuth, apiKeyAuth } from './auth.ts';
import { type BodyBudgetPool, bodyBudget, createBodyBudgetPool } from './body-budget.ts';
import { feedbackRoute, issuesText } from './feedback.ts';
import { jsonBody } from './json-body.ts';
import { type RateLimiter, rateLimit } from './rate-limit.ts';
import { refuseOtlp, tracesRoute } from './traces.ts';

export interface AppDeps {
  apiKeys: ApiKeyResolver;
  rateLimiter: RateLimiter;
  metrics: CollectorMetrics;
  limits: { maxBodyBytes: number; maxDecompressedBytes: number; decode?: Partial<DecodeLimits> };
  /** What trace bodies being read at once may hold in all (`--max-in-flight-bytes`); none: no bound. */
  bodyBudget?: BodyBudgetPool;
  /**
   * Resolves once the spans are durable (in the write-ahead log), or, as
   * `'resent'`, once the request with this digest was found taken before.
   */
  ingest(projectId: string, spans: SpanRecord[], digest: string): Promise<'appended' | 'resent'>;
  /** Resolves once the feedback is durable (in the write-ahead log). */
  ingestFeedback(projectId: string, feedback: FeedbackEntry[]): Promise<void>;
  /** Not ready: 503 with the reason. Ready with a reason: 200, degraded (ClickHouse down while the log absorbs the load). */
  readiness(): Promise<{ ready: boolean; reason?: string }>;
  /** Read-only SQL for `oversight sql` while this process holds the embedded data dir. */
  sql?: { token: string; run(query: string, format: string): Promise<string> };
}

// Feedback and admin SQL are small JSON documents. The largest feedback the
// schema takes is an edit's 100,000-character correction beside a
// 10,000-character comment: up to 330 KB in UTF-8, and more escaped.
const FEEDBACK_MAX_BYTES = 1024 * 1024;
const SQL_MAX_BYTES = 1024 * 1024;

const SqlRequestSchema = z.object({
  query: z.string().min(1),
  // Output format names are bare identifiers; anything else never reaches the engine.
  format: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9]*$/, 'an output format name such as PrettyCompact')
    .optional(),
});

export function createApp(deps: AppDeps) {
  const app = new Hono();

  app.use('*', async (c, next) => {
    await next();
    deps.metrics.requests.inc({ route: c.req.routePath, status: String(c.res.status) });
  });

  app.get('/healthz', (c) => c.text('ok'));

  app.get('/readyz', async (c) => {
    const { ready, reason } = await deps.readiness();
    if (!ready) return c.text(`not ready: ${reason ?? 'unknown'}`, 503);
    return c.text(reason ? `ready (degraded: ${reason})` : 'ready');
  });

  app.get('/metrics', async (c) => {
    c.header('content-type', deps.metrics.registry.contentType);
    return c.body(await deps.metrics.registry.metrics());
  });

  // A throttled key is refused before its body is read or decoded; the route
  // takes the batch's spans from the bucket once it knows how many there are,
  // and its body's bytes from the budget shared by every key as it reads them.
  const bodies = deps.bodyBudget ?? createBodyBudgetPool(Number.MAX_SAFE_INTEGER);
  app.post(
    '/v1/traces',
    apiKeyAuth({ resolver: deps.apiKeys, refuse: refuseOtlp }),
    rateLimit({ limiter: deps.rateLimiter, refuse: refuseOtlp }),
    bodyBudget({ pool: bodies }),
    tracesRoute(deps),
  );

  // Feedback bodies share the traces' budget: many slow ones from one key
  // would otherwise hold memory no setting bounds.
  app.post(
    '/v1/feedback',
    apiKeyAuth({ resolver: deps.apiKeys }),
    rateLimit({ limiter: deps.rateLimiter, cost: 1 }),
    bodyBudget({ pool: bodies }),
    jsonBody({ maxBytes: FEEDBACK_MAX_BYTES }),
    feedbackRoute(deps),
  );

  app.post(
    '/internal/sql',
    adminTokenAuth(deps.sql?.token),
    jsonBody({ maxBytes: SQL_MAX_BYTES }),
    async (c) => {
      const sql = deps.sql as NonNullable<AppDeps['sql']>;
      const parsed = SqlRequestSchema.safeParse(c.get('body'));
      if (!parsed.success) return c.json({ error: issuesText(parsed.error) }, 400);
      try {
        // The store runs it read-only (`readonly=1`): writes and DDL are refused by the engine.
        return c.text(await sql.run(parsed.data.query, parsed.data.format ?? 'PrettyCompact'));
      } catch (error) {
        return c.text((error as Error).message, 400);
      }
    },
  );

  app.onError((error, c) => {
    console.error(`[oversight] ${c.req.method} ${c.req.path}: ${error.stack ?? error.message}`);
    return c.json({ error: 'internal error' }, 500);
  });

  return app;
}
