import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { serve } from '@hono/node-server';
import { scorers as allScorers, type TextScorer } from '@oversight/scorers';
import type { Config } from './config.ts';
import { createGroundednessEnricher } from './enrich/groundedness.ts';
import { parseEvaluatorThresholds } from './enrich/thresholds.ts';
import { topicsEnricherFromConfig } from './enrich/topics/enricher.ts';
import type { TraceEnricher } from './enrich/trace-enricher.ts';
import { listenError } from './listen-error.ts';
import { reportDeadLetters, reportDrainError, reportResentJournal, reportTraceStage } from './log-lines.ts';
import { createMetrics } from './metrics.ts';
import {
  createTraceStage,
  registerTraceStageMetrics,
  type TraceStage,
} from './pipeline/assemble/trace-stage.ts';
import { replayCheckFor } from './pipeline/drain/natural-keys.ts';
import { openPipeline } from './pipeline/index.ts';
import { createYieldingBatchTransform } from './pipeline/transform/batch-transform.ts';
import { defaultTransformWorkers, startTransformWorkers } from './pipeline/transform/worker-pool.ts';
import { createApiKeyResolver, parseApiKeys } from './receive/api-keys.ts';
import { createApp } from './receive/app.ts';
import { createBodyBudgetPool } from './receive/body-budget.ts';
import { createRateLimiter } from './receive/rate-limit.ts';
import { openStore } from './store/open-store.ts';
import type { Store } from './store/store.ts';

/** How long /readyz waits for ClickHouse's ping before it says "degraded": under any probe's timeout. */
const READINESS_PING_MS = 500;

/** The write-ahead log lives beside the chdb data dir, never inside it (chdb owns that tree). */
export function walDirFor(config: Config): string {
  return config.walDir ?? path.join(path.dirname(path.resolve(config.dataDir)), 'wal');
}

/**
 * Where a running collector leaves its address and a one-off admin token, so
 * `oversight sql` on the same data dir can query through it: chdb lets only
 * one process open a data directory.
 */
export function controlFileFor(config: Config): string {
  return path.join(walDirFor(config), 'collector.json');
}

export function openConfiguredStore(config: Config): Promise<Store> {
  return openStore({
    ...(config.clickhouseUrl ? { url: config.clickhouseUrl } : {}),
    username: config.clickhouseUser,
    password: config.clickhousePassword,
    database: config.database,
    dataDir: config.dataDir,
    ...(config.ttlDays !== undefined ? { ttlDays: config.ttlDays } : {}),
    ...(config.cluster ? { cluster: config.cluster } : {}),
  });
}

export function selectScorers(spec: string): TextScorer[] {
  const wanted = spec.trim().toLowerCase();
  if (wanted === 'none' || wanted === '') return [];
  if (wanted === 'all') return Object.values(allScorers);
  return wanted.split(',').map((name) => {
    const scorer = allScorers[name.trim()];
    if (!scorer)
      throw new Error(`unknown evaluator "${name.trim()}"; known: ${Object.keys(allScorers).join(', ')}`);
    return scorer;
  });
}

/** A URL fit for a log line: whatever credentials it carries are left out. */
function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString();
}

export interface RunningCollector {
  url: string;
  storeDescription: string;
  store: Store;
  /** Groundedness and relevance per assembled trace; absent with `traceQuality: false`. */
  traceStage: TraceStage | undefined;
  /** Stops intake, drains the log into ClickHouse (bounded), closes everything. */
  close(): Promise<void>;
}

/**
 * What a start has opened so far, closed the latest first, once, when a later
 * step fails. A refused start left the store's data directory and the log's
 * segment open in the process, its drain and workers running (a second start
 * on the same directories opened a second log over the same files).
 */
class OpenedSoFar {
  private readonly closers: { what: string; close: () => Promise<unknown> }[] = [];

  add(what: string, close: () => Promise<unknown>): void {
    this.closers.push({ what, close });
  }

  /** Every one is closed though another fails: the start's own error is the one thrown. */
  async close(): Promise<void> {
    for (let next = this.closers.pop(); next; next = this.closers.pop()) {
      try {
        await next.close();
      } catch (error) {
        console.error(`[oversight] closing the ${next.what} of a failed start: ${(error as Error).message}`);
      }
    }
  }
}

export async function startCollector(config: Config): Promise<RunningCollector> {
  const apiKeys = createApiKeyResolver(parseApiKeys(config.apiKeys), config.insecureDev);
  if (apiKeys.size === 0 && !config.insecureDev) {
    throw new Error(
      'no API keys configured: pass --api-keys key=project (or --insecure-dev for a local demo)',
    );
  }
  const scorers = selectScorers(config.evaluators);
  const thresholds = parseEvaluatorThresholds(config.evaluatorThresholds, Object.keys(allScorers));
  const store = await openConfiguredStore(config);
  const opened = new OpenedSoFar();
  opened.add('store', () => store.close());
  try {
    return await startOn(store, opened, config, { apiKeys, scorers, thresholds });
  } catch (error) {
    await opened.close();
    throw error;
  }
}

/** The rest of a start, on an open store; what it opens goes into `opened`. */
async function startOn(
  store: Store,
  opened: OpenedSoFar,
  config: Config,
  {
    apiKeys,
    scorers,
    thresholds,
  }: {
    apiKeys: ReturnType<typeof createApiKeyResolver>;
    scorers: TextScorer[];
    thresholds: ReturnType<typeof parseEvaluatorThresholds>;
  },
): Promise<RunningCollector> {
  const metrics = createMetrics();
  try {
    await store.migrate();
  } catch (error) {
    // The client's own words ("connect ECONNREFUSED 10.0.0.5:8123") do not say it was ClickHouse.
    if (store.kind === 'server' && config.clickhouseUrl)
      throw new Error(
        `ClickHouse at ${withoutCredentials(config.clickhouseUrl)}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    throw error;
  }

  // Every insert the drain makes is timed and counted here, in one place.
  const measuredStore: Pick<Store, 'insert'> = {
    async insert(table, rows, options) {
      const stop = metrics.insertSeconds.startTimer({ table });
      await store.insert(table, rows, options);
      stop();
      metrics.rowsWritten.inc({ table }, rows.length);
    },
  };

  const transformOptions = { maxTextChars: config.maxTextChars, scorers, thresholds };
  const workerCount = config.transformWorkers ?? defaultTransformWorkers();
  const transformWorkers =
    workerCount > 0
      ? await startTransformWorkers(
          { ...transformOptions, evaluators: scorers.map((scorer) => scorer.name) },
          { workers: workerCount, onWarning: (message) => console.error(`[oversight] ${message}`) },
        )
      : undefined;
  if (transformWorkers) opened.add('transform workers', () => transformWorkers.close());

  // Per-trace enrichers, in order: each sees what the earlier ones found about a generation.
  // Topics run after groundedness: their gap signals read its refusal and relevance findings.
  const topics = config.traceQuality ? await topicsEnricherFromConfig(store, config) : undefined;
  if (topics) opened.add('topics enricher', () => topics.close());
  // Groundedness scoring runs on the transform workers where there are any (rows first, scoring
  // in between), so the event loop keeps only assembly, state and writes. Topics stay here: their
  // clusterer is per-topic state, and placing a question costs far more than embedding it.
  const groundedness = createGroundednessEnricher(transformWorkers ? { scorer: transformWorkers.score } : {});
  const traceEnrichers: TraceEnricher[] = [groundedness, ...(topics ? [topics] : [])];
  // Bound once the pipeline is open: the stage waits while the drain's inserts fail.
  let storeFailing = () => false;
  const traceStage = config.traceQuality
    ? createTraceStage({
        store,
        enrichers: traceEnrichers,
        assembler: {
          graceMs: config.traceGraceMs,
          idleMs: config.traceIdleMs,
          maxOpenTraces: config.traceMaxOpen,
          maxOpenBytes: config.traceMaxOpenBytes,
        },
        recoverWindowMs: config.traceRecoverMinutes * 60_000,
        paused: () => storeFailing(),
        onError: reportTraceStage(),
      })
    : undefined;
  if (traceStage) {
    // Nothing came in to score: what it recovers is recovered again on the next start.
    opened.add('trace stage', () => traceStage.close(0));
    registerTraceStageMetrics(metrics.registry, traceStage);
  }

  const walDir = walDirFor(config);
  const pipeline = openPipeline({
    wal: {
      dir: walDir,
      maxBytes: config.walMaxBytes,
      // Several segments per cap, so consumed ones are deleted while the log still takes writes.
      segmentBytes: Math.min(64 * 1024 ** 2, Math.floor(config.walMaxBytes / 4)),
      retryAfterSeconds: config.walRetryAfterSeconds,
    },
    store: measuredStore,
    onJournalError: reportResentJournal(),
    toRows: transformWorkers ? transformWorkers.toRows : createYieldingBatchTransform(transformOptions),
    drain: {
      onError: reportDrainError(),
      onDeadLettered: (letters, path) => {
        metrics.deadLettered.inc(letters.length);
        reportDeadLetters(letters, path);
      },
      ...replayCheckFor(store),
      ...(traceStage ? { onCommitted: (tables) => traceStage.add(tables) } : {}),
    },
  });
  const { ingest } = await pipeline;
  opened.add('write-ahead log', () => ingest.stop());
  storeFailing = () => !ingest.health().storeHealthy;
  // Traces a previous process left open (it died before scoring them) are read back and scored.
  void traceStage?.recover();
  const bodyBudget = createBodyBudgetPool(config.maxInFlightBytes, config.maxDecompressedBytes);
  metrics.observe(() => {
    const health = ingest.health();
    return {
      queueDepth: health.wal.uncommittedEntries,
      walBytes: health.wal.bytesOnDisk,
      storeHealthy: health.storeHealthy,
      inFlightBodyBytes: bodyBudget.held(),
    };
  });

  let closing: Promise<void> | undefined;
  const sqlToken = randomBytes(24).toString('hex');
  const app = createApp({
    apiKeys,
    rateLimiter: createRateLimiter(config.rateLimitSpansPerSecond),
    bodyBudget,
    metrics,
    limits: {
      maxBodyBytes: config.maxBodyBytes,
      maxDecompressedBytes: config.maxDecompressedBytes,
    },
    ingest: (projectId, spans, digest) => ingest.ingest(projectId, spans, digest),
    ingestFeedback: (projectId, feedback) => ingest.ingestFeedback(projectId, feedback),
    async readiness() {
      if (closing) return { ready: false, reason: 'shutting down' };
      const health = ingest.health();
      if (!health.ready) return { ready: false, reason: health.reasons.join('; ') };
      // Still ready: riding out a ClickHouse outage is what the log is for, and a balancer that
      // took every replica out of rotation at once would turn the outage into lost spans. The
      // wait is bounded: a ClickHouse that takes connections and never answers would hold the
      // ping for the client's 30 s, past the probe's own timeout (1 s by default in Kubernetes,
      // 3 s in docker-compose.yml), and a probe that times out fails as a 503 would.
      const answered = await Promise.race([
        store.ping().catch(() => false),
        sleep(READINESS_PING_MS, false, { ref: false }),
      ]);
      if (!answered)
        return { ready: true, reason: 'ClickHouse does not answer; spans wait in the write-ahead log' };
      // ClickHouse answers but refuses the inserts (its disk full, a grant revoked): plain
      // "ready" would hide that nothing is being written.
      if (!health.storeHealthy) {
        const why = (health.lastError ?? 'unknown error').split('\n', 1)[0];
        return {
          ready: true,
          reason: `writing to ClickHouse fails, spans wait in the write-ahead log: ${why}`,
        };
      }
      return { ready: true };
    },
    sql: { token: sqlToken, run: (query, format) => store.queryText(query, format, { readonly: true }) },
  });

  const server = serve({
    async fetch(request, env) {
      const response = await app.fetch(request, env);
      // Once closing, every answer ends its connection: server.close() waits
      // for connections that go idle after it was called, and a kept-alive
      // one would hold it open for the whole keep-alive timeout.
      if (closing) response.headers.set('connection', 'close');
      return response;
    },
    port: config.port,
    hostname: config.host,
    serverOptions: {
      requestTimeout: config.requestTimeoutMs,
      // Node looks for late requests every 30 s by default, which would stretch a short timeout.
      connectionsCheckingInterval: Math.min(30_000, Math.ceil(config.requestTimeoutMs / 4)),
    },
  });
  // An HTTP/1.1 server: `serve` makes one unless told to make HTTP/2.
  (server as HttpServer).keepAliveTimeout = config.keepAliveTimeoutMs;
  await once(server, 'listening').catch((error: unknown) => {
    throw listenError(error, config.host, config.port);
  });
  opened.add('server', () => new Promise((resolve) => server.close(resolve)));
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;

  const controlFile = controlFileFor(config);
  if (store.kind === 'embedded') {
    opened.add('control file', () => rm(controlFile, { force: true }));
    await mkdir(path.dirname(controlFile), { recursive: true });
    await writeFile(controlFile, JSON.stringify({ url, token: sqlToken, pid: process.pid }), { mode: 0o600 });
  }

  return {
    url,
    storeDescription:
      store.kind === 'embedded' ? `embedded chdb in ${path.resolve(config.dataDir)}` : 'ClickHouse server',
    store,
    traceStage,
    close() {
      closing ??= (async () => {
        // Readiness answers 503 from here on while intake still serves, so a
        // load balancer stops routing here before connections are refused.
        if (config.shutdownDelayMs > 0) await sleep(config.shutdownDelayMs);
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await ingest.stop();
        // After the drain's last round, so its spans are assembled too.
        await traceStage?.close();
        // After the stage's last batch: ends the topics embedder's worker thread (--topics-embedder use).
        await topics?.close();
        // Only after the drain's last round: closing rejects a transform in progress.
        await transformWorkers?.close();
        await rm(controlFile, { force: true });
        await store.close();
      })();
      return closing;
    },
  };
}
