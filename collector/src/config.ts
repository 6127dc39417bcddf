import { z } from 'zod';

/**
 * Every collector setting, validated once at start. The CLI maps each to a
 * flag and an `OVERSIGHT_*` environment variable; tests build it directly.
 */
/** Where topics' question vectors come from when the app sent none (`--topics-embedder`). */
export const TOPICS_EMBEDDERS = ['student', 'hashed', 'use', 'openai', 'onnx', 'none'] as const;

export const ConfigSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  /** 4318 is the OTLP/HTTP port, so OTel exporters work with their defaults. */
  port: z.coerce.number().int().min(0).max(65_535).default(4318),
  dataDir: z.string().min(1).default('.oversight/data'),
  /** Write-ahead log directory; defaults to `<dataDir>/../wal` so the chdb dir stays chdb's alone. */
  walDir: z.string().min(1).optional(),
  walMaxBytes: z.coerce
    .number()
    .int()
    .min(64 * 1024, 'at least 64 KiB')
    .default(1024 ** 3),
  /** Seconds a refused exporter is told to wait (`Retry-After`) when the log is full. */
  walRetryAfterSeconds: z.coerce.number().int().min(1).max(300).default(2),
  clickhouseUrl: z.url().optional(),
  clickhouseUser: z.string().default('default'),
  clickhousePassword: z.string().default(''),
  database: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a plain identifier')
    .default('oversight'),
  /** ClickHouse cluster name: DDL goes out `ON CLUSTER` with Replicated + Distributed tables. */
  cluster: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a plain identifier')
    .optional(),
  /**
   * Raw rows expire after this many days (0 keeps them); roll-ups keep 400
   * days. Unset, new tables get 30 and existing tables keep theirs: only a
   * value the operator gave changes a table that exists (`syncTtl`).
   */
  ttlDays: z.coerce.number().int().nonnegative().optional(),
  /** `key=project,key2=project2`, or a path to a YAML/JSON file mapping keys to projects. */
  apiKeys: z.string().default(''),
  /** Accept requests without a key (project `default`): for the local demo only. */
  insecureDev: z.union([z.boolean(), z.stringbool()]).default(false),
  /**
   * The OTLP spec has clients keep bodies, before compression, to 20 MiB by
   * default: a smaller limit answers such a batch 413, which it forbids them
   * to retry, and the batch is lost.
   */
  maxBodyBytes: z.coerce
    .number()
    .int()
    .positive()
    .default(20 * 1024 ** 2),
  maxDecompressedBytes: z.coerce
    .number()
    .int()
    .positive()
    .default(64 * 1024 ** 2),
  /**
   * Bytes the trace and feedback bodies being read at once may hold in all, over every
   * key; past it a body is refused with 503 and Retry-After. At least
   * `maxDecompressedBytes`, or the largest body allowed could never pass.
   */
  maxInFlightBytes: z.coerce
    .number()
    .int()
    .positive()
    .default(256 * 1024 ** 2),
  /**
   * Milliseconds between the start of shutdown (readiness answers 503) and
   * the listener closing, while intake still serves: long enough for a load
   * balancer's readiness probe to notice. 0 closes at once.
   */
  shutdownDelayMs: z.coerce.number().int().min(0).max(300_000).default(0),
  /**
   * Milliseconds a request may take to arrive whole (Node's default is five
   * minutes): a body trickled in slowly holds its part of the in-flight
   * budget until then; past it the server answers 408 and the bytes return.
   */
  requestTimeoutMs: z.coerce.number().int().min(1_000).max(600_000).default(60_000),
  /**
   * Milliseconds an idle keep-alive connection stays open. Above the idle
   * timeout of the load balancer in front (60 s on AWS ALB; Google's asks
   * for over 620 s), or the balancer reuses a connection the collector has
   * just closed and answers 502. Node's own 5 s is below every one of them.
   */
  keepAliveTimeoutMs: z.coerce.number().int().min(1_000).max(3_600_000).default(65_000),
  /** Spans per second per API key; 0 disables the limit. */
  rateLimitSpansPerSecond: z.coerce.number().nonnegative().default(0),
  /** Longest text kept per message/content field; longer text is truncated with a marker. */
  maxTextChars: z.coerce.number().int().positive().default(100_000),
  /** Safety scorers to run in the collector (comma list or `all` / `none`). */
  evaluators: z.string().default('all'),
  /** Per-evaluator decision thresholds overriding the shipped ones, e.g. `toxicity=0.7,pii=0.6`. */
  evaluatorThresholds: z.string().default(''),
  /**
   * Worker threads for the drain's normalize + scoring transform; 0 runs it on
   * the event loop (in slices). Unset: 1 on a machine with two or more cores.
   */
  transformWorkers: z.coerce.number().int().min(0).max(64).optional(),
  /** The trace stage: groundedness, answer and context relevance per generation of each assembled trace. */
  traceQuality: z.union([z.boolean(), z.stringbool()]).default(true),
  /** Milliseconds after a trace's root span arrives before it is scored. */
  traceGraceMs: z.coerce.number().int().min(0).default(2_000),
  /** Milliseconds without a new span after which a trace is scored anyway. */
  traceIdleMs: z.coerce.number().int().min(1).default(30_000),
  /** Traces assembled at once at most; beyond it the oldest is scored early. */
  traceMaxOpen: z.coerce.number().int().min(1).default(10_000),
  /** Estimated bytes of open traces at most; beyond it the oldest is scored early. */
  traceMaxOpenBytes: z.coerce
    .number()
    .int()
    .min(1)
    .default(64 * 1024 ** 2),
  /** On start, generations this many minutes old or newer that carry no score are scored (crash recovery). */
  traceRecoverMinutes: z.coerce.number().min(0).default(60),
  /**
   * Where question vectors for topics come from when a trace carries no
   * query embedding of the app's own: `student` (the default: hashed n-grams
   * beside a small sentence network distilled from the Universal Sentence
   * Encoder, shipped in the package, no download), `hashed` (the n-grams
   * alone, ≈ 10 µs less a question, weaker topics), `use` (the
   * hashed features plus the Universal Sentence Encoder lite shipped in npm,
   * ≈ 10 ms a question in a worker thread), `openai` (any OpenAI-compatible
   * /embeddings endpoint), `onnx` (a local model directory), or `none` (no
   * topics or knowledge-base gap signals at all).
   */
  topicsEmbedder: z.enum(TOPICS_EMBEDDERS).default('student'),
  /** Base URL of the embeddings endpoint, up to the version (`https://api.openai.com/v1`). */
  topicsEmbedderUrl: z.url().optional(),
  topicsEmbedderModel: z.string().min(1).optional(),
  topicsEmbedderApiKey: z.string().optional(),
  /** Directory with `model.onnx` and `vocab.txt`. */
  topicsEmbedderDir: z.string().min(1).optional(),
  /**
   * Distinct questions whose `use`, `openai` or `onnx` vectors are kept, so a
   * repeated question is not embedded again (0: none; default the
   * enricher's, `DEFAULT_VECTOR_CACHE`).
   */
  topicsEmbedderCache: z.coerce.number().int().min(0).optional(),
  /**
   * A changed topic's row (its whole centroid) is rewritten at most this
   * often; new topics and merges go at once, and what waits is written at a
   * clean stop. 0: every batch.
   */
  topicRowsEverySeconds: z.coerce.number().min(0).default(60),
});

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

/**
 * An empty value is an unset one. A deployment that templates its variables
 * (`OVERSIGHT_TTL_DAYS: ${TTL:-}`) hands over '' for the ones it leaves out,
 * and commander passes a variable on whenever it exists: read as a number,
 * '' is 0, which would mean "keep rows forever" for `ttlDays` (and strip the
 * TTL of existing tables), a random port, no rate limit.
 */
function withoutEmpty(input: ConfigInput): ConfigInput {
  return Object.fromEntries(
    Object.entries(input).filter(([, value]) => !(typeof value === 'string' && value.trim() === '')),
  ) as ConfigInput;
}

export function resolveConfig(input: ConfigInput = {}): Config {
  const parsed = ConfigSchema.safeParse(withoutEmpty(input));
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`);
    throw new Error(`invalid configuration: ${issues.join('; ')}`);
  }
  const { maxInFlightBytes, maxDecompressedBytes } = parsed.data;
  if (maxInFlightBytes < maxDecompressedBytes)
    throw new Error(
      `invalid configuration: maxInFlightBytes (${maxInFlightBytes}) must be at least maxDecompressedBytes (${maxDecompressedBytes}), or the largest body allowed could never be read`,
    );
  return parsed.data;
}
