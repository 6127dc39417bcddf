#!/usr/bin/env node
import { Command, Option } from 'commander';
import { type ConfigInput, resolveConfig } from './config.ts';

/**
 * `oversight`: start the collector, migrate the schema, query the store, and
 * evaluate or train the scorers. Every setting is a flag and an
 * `OVERSIGHT_*` environment variable (flags win).
 */
const program = new Command('oversight')
  .description('LLM observability collector: OTLP in, scored LLM/RAG spans in ClickHouse out')
  .showHelpAfterError();

/**
 * One option of a command. The table's key is the option's name as the
 * action receives it (commander's camelCase of the flag, which is also the
 * config key); values are checked by the zod schemas where they enter
 * (config, export flags), not here.
 */
interface OptionSpec {
  flag: string;
  env?: string;
  description: string;
  default?: string;
  choices?: readonly string[];
  mandatory?: boolean;
}
type OptionTable = Record<string, OptionSpec>;

function toOption(name: string, spec: OptionSpec): Option {
  const option = new Option(spec.flag, spec.description);
  if (option.attributeName() !== name)
    throw new Error(`option table: ${spec.flag} is read as ${option.attributeName()}, not ${name}`);
  if (spec.choices) option.choices(spec.choices);
  if (spec.env) option.env(spec.env);
  if (spec.default !== undefined) option.default(spec.default);
  if (spec.mandatory) option.makeOptionMandatory();
  return option;
}

function addOptions(command: Command, ...tables: OptionTable[]): Command {
  for (const table of tables)
    for (const [name, spec] of Object.entries(table)) command.addOption(toOption(name, spec));
  return command;
}

/** The options of `options` that `table` names, without the unset ones. */
function pick(options: Record<string, unknown>, table: OptionTable): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(table).flatMap((k) => (options[k] === undefined ? [] : [[k, options[k]]])),
  );
}

const STORE_OPTIONS: OptionTable = {
  dataDir: {
    flag: '--data-dir <dir>',
    env: 'OVERSIGHT_DATA_DIR',
    description: 'embedded ClickHouse (chdb) data directory',
    default: '.oversight/data',
  },
  clickhouseUrl: {
    flag: '--clickhouse-url <url>',
    env: 'CLICKHOUSE_URL',
    description: 'use a ClickHouse server instead of the embedded engine (e.g. http://localhost:8123)',
  },
  clickhouseUser: {
    flag: '--clickhouse-user <user>',
    env: 'CLICKHOUSE_USER',
    description: 'ClickHouse server user',
    default: 'default',
  },
  clickhousePassword: {
    flag: '--clickhouse-password <password>',
    env: 'CLICKHOUSE_PASSWORD',
    description: 'ClickHouse server password',
    default: '',
  },
  database: {
    flag: '--database <name>',
    env: 'OVERSIGHT_DATABASE',
    description: 'database holding the Oversight tables',
    default: 'oversight',
  },
  cluster: {
    flag: '--cluster <name>',
    env: 'OVERSIGHT_CLUSTER',
    description: 'ClickHouse cluster: DDL ON CLUSTER with Replicated + Distributed tables',
  },
  ttlDays: {
    flag: '--ttl-days <days>',
    env: 'OVERSIGHT_TTL_DAYS',
    description: 'raw rows expire after this many days; 0 keeps them',
  },
};

const START_OPTIONS: OptionTable = {
  port: {
    flag: '--port <port>',
    env: 'OVERSIGHT_PORT',
    description: 'listen port (4318 is the OTLP/HTTP default)',
    default: '4318',
  },
  host: { flag: '--host <host>', env: 'OVERSIGHT_HOST', description: 'listen address', default: '127.0.0.1' },
  apiKeys: {
    flag: '--api-keys <spec>',
    env: 'OVERSIGHT_API_KEYS',
    description: 'API keys: key=project,key2=project2 or a YAML/JSON file { keys: { <key>: <project> } }',
  },
  insecureDev: {
    flag: '--insecure-dev',
    env: 'OVERSIGHT_INSECURE_DEV',
    description: 'accept requests without an API key (project "default"); for local demos only',
  },
  walDir: {
    flag: '--wal-dir <dir>',
    env: 'OVERSIGHT_WAL_DIR',
    description: 'write-ahead log directory (default: next to the data dir)',
  },
  walMaxBytes: {
    flag: '--wal-max-bytes <bytes>',
    env: 'OVERSIGHT_WAL_MAX_BYTES',
    description: 'write-ahead log cap; past it requests get 503',
  },
  walRetryAfterSeconds: {
    flag: '--wal-retry-after-seconds <s>',
    env: 'OVERSIGHT_WAL_RETRY_AFTER',
    description: 'Retry-After sent with 503 when the log is full',
  },
  maxBodyBytes: {
    flag: '--max-body-bytes <bytes>',
    env: 'OVERSIGHT_MAX_BODY_BYTES',
    description: 'largest accepted request body',
  },
  maxDecompressedBytes: {
    flag: '--max-decompressed-bytes <bytes>',
    env: 'OVERSIGHT_MAX_DECOMPRESSED_BYTES',
    description: 'largest request body after gzip decompression',
  },
  rateLimitSpansPerSecond: {
    flag: '--rate-limit-spans-per-second <n>',
    env: 'OVERSIGHT_RATE_LIMIT',
    description: 'per-API-key span rate; 0 = unlimited',
  },
  maxTextChars: {
    flag: '--max-text-chars <n>',
    env: 'OVERSIGHT_MAX_TEXT_CHARS',
    description: 'longest prompt/completion text kept per field',
  },
  evaluators: {
    flag: '--evaluators <list>',
    env: 'OVERSIGHT_EVALUATORS',
    description: 'safety scorers to run: all, none, or a comma list',
  },
  evaluatorThresholds: {
    flag: '--evaluator-thresholds <list>',
    env: 'OVERSIGHT_EVALUATOR_THRESHOLDS',
    description: 'per-evaluator thresholds, e.g. toxicity=0.7,pii=0.6',
  },
  transformWorkers: {
    flag: '--transform-workers <n>',
    env: 'OVERSIGHT_TRANSFORM_WORKERS',
    description:
      'worker threads for normalizing and scoring; 0 = on the main thread (default: 1 on ≥ 2 cores)',
  },
  traceQuality: {
    flag: '--trace-quality <on>',
    env: 'OVERSIGHT_TRACE_QUALITY',
    description: 'score groundedness and relevance per assembled trace (true/false)',
  },
  traceGraceMs: {
    flag: '--trace-grace-ms <ms>',
    env: 'OVERSIGHT_TRACE_GRACE_MS',
    description: 'wait after a trace root ends before scoring it',
  },
  traceIdleMs: {
    flag: '--trace-idle-ms <ms>',
    env: 'OVERSIGHT_TRACE_IDLE_MS',
    description: 'score a trace after this long without a new span',
  },
  traceRecoverMinutes: {
    flag: '--trace-recover-minutes <m>',
    env: 'OVERSIGHT_TRACE_RECOVER_MINUTES',
    description: 'on start, score unscored generations this recent',
  },
  topicsEmbedder: {
    flag: '--topics-embedder <kind>',
    env: 'OVERSIGHT_TOPICS_EMBEDDER',
    description:
      'question vectors for topics when the app sent none: builtin, use (builtin + sentence encoder, ≈ 10 ms a question on a worker thread), openai, onnx, or none (no topics)',
    choices: ['builtin', 'use', 'openai', 'onnx', 'none'],
  },
  topicsEmbedderUrl: {
    flag: '--topics-embedder-url <url>',
    env: 'OVERSIGHT_TOPICS_EMBEDDER_URL',
    description: 'OpenAI-compatible embeddings base URL, e.g. http://host/v1',
  },
  topicsEmbedderModel: {
    flag: '--topics-embedder-model <name>',
    env: 'OVERSIGHT_TOPICS_EMBEDDER_MODEL',
    description: 'embedding model name for --topics-embedder openai',
  },
  topicsEmbedderApiKey: {
    flag: '--topics-embedder-api-key <key>',
    env: 'OVERSIGHT_TOPICS_EMBEDDER_API_KEY',
    description: 'API key for the embeddings endpoint',
  },
  topicsEmbedderDir: {
    flag: '--topics-embedder-dir <dir>',
    env: 'OVERSIGHT_TOPICS_EMBEDDER_DIR',
    description: 'ONNX model directory (model.onnx + vocab.txt)',
  },
};

const DDL_OPTIONS: OptionTable = {
  database: {
    flag: '--database <name>',
    env: 'OVERSIGHT_DATABASE',
    description: 'database',
    default: 'oversight',
  },
  cluster: {
    flag: '--cluster <name>',
    env: 'OVERSIGHT_CLUSTER',
    description: 'render ON CLUSTER with Replicated + Distributed tables',
  },
  ttlDays: {
    flag: '--ttl-days <days>',
    env: 'OVERSIGHT_TTL_DAYS',
    description: 'raw-row TTL in days; 0 keeps them',
  },
};

const SQL_OPTIONS: OptionTable = {
  format: {
    flag: '--format <format>',
    description: 'output format',
    choices: ['table', 'json', 'csv'],
    default: 'table',
  },
};

const EXPORT_OPTIONS: OptionTable = {
  format: {
    flag: '--format <format>',
    description: 'record shape',
    choices: ['kto', 'dpo', 'sft'],
    mandatory: true,
  },
  since: {
    flag: '--since <date>',
    description: 'feedback received at or after (YYYY-MM-DD or ISO date-time, UTC)',
  },
  until: { flag: '--until <date>', description: 'feedback received before' },
  project: { flag: '--project <id>', description: 'one project only' },
  topic: { flag: '--topic <id>', description: 'one topic id only' },
  minGroundedness: {
    flag: '--min-groundedness <x>',
    description: 'positive examples need a groundedness score ≥ x (0-1)',
  },
  out: { flag: '--out <file>', description: 'write JSONL here instead of stdout' },
  maskPii: { flag: '--no-mask-pii', description: 'keep PII in the exported text (masked by default)' },
};

function withStoreOptions(command: Command): Command {
  return addOptions(command, STORE_OPTIONS);
}

/** Commander's camelCase option names are the config keys; drop unset ones so defaults apply. */
function toConfig(options: Record<string, unknown>): ConfigInput {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as ConfigInput;
}

addOptions(
  program
    .command('start')
    .description(
      'run the collector: OTLP/HTTP on /v1/traces, feedback on /v1/feedback, /healthz, /readyz, /metrics',
    ),
  START_OPTIONS,
  STORE_OPTIONS,
).action(async (options) => {
  const { startCollector } = await import('./service.ts');
  const collector = await startCollector(resolveConfig(toConfig(options)));
  console.log(`[oversight] collector listening on ${collector.url} (store: ${collector.storeDescription})`);
  const stop = async (signal: string) => {
    console.log(`[oversight] ${signal}: stopping intake, draining the log…`);
    await collector.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
});

withStoreOptions(program.command('migrate').description('create or upgrade the database and tables')).action(
  async (options) => {
    const { openConfiguredStore } = await import('./service.ts');
    const store = await openConfiguredStore(resolveConfig(toConfig(options)));
    await store.migrate();
    await store.close();
    console.log('[oversight] schema is up to date');
  },
);

addOptions(
  program
    .command('ddl')
    .description('print the schema DDL (for review, or to apply by hand) without connecting'),
  DDL_OPTIONS,
).action(async (options) => {
  const { renderSchema } = await import('./store/index.ts');
  const config = resolveConfig(toConfig(options));
  const statements = renderSchema({
    database: config.database,
    ttlDays: config.ttlDays,
    ...(config.cluster ? { cluster: config.cluster } : {}),
  });
  process.stdout.write(`${statements.join(';\n\n')};\n`);
});

addOptions(
  program
    .command('sql')
    .description('run a read-only SQL query against the Oversight tables')
    .argument('<query>', 'SQL, e.g. "SELECT operation, count() FROM llm_spans GROUP BY operation"'),
  SQL_OPTIONS,
  STORE_OPTIONS,
).action(async (query: string, options) => {
  const { runReadOnlySql } = await import('./sql.ts');
  process.stdout.write(
    await runReadOnlySql(resolveConfig(toConfig(pick(options, STORE_OPTIONS))), query, options.format),
  );
});

addOptions(
  program
    .command('export-preferences')
    .description(
      'user feedback as fine-tuning data (JSONL for TRL): KTO rows, DPO pairs or SFT conversations',
    ),
  EXPORT_OPTIONS,
  STORE_OPTIONS,
).action(async (options) => {
  const { runExportPreferences } = await import('./export/commands.ts');
  await runExportPreferences(
    resolveConfig(toConfig(pick(options, STORE_OPTIONS))),
    pick(options, EXPORT_OPTIONS),
  );
});

const { registerEvalCommands } = await import('./eval/index.ts');
registerEvalCommands(program, {
  addStoreOptions: withStoreOptions,
  openStore: async (flags) => {
    const { openConfiguredStore } = await import('./service.ts');
    return openConfiguredStore(resolveConfig(toConfig(pick(flags, STORE_OPTIONS))));
  },
});

try {
  await program.parseAsync();
} catch (error) {
  console.error(`oversight: ${(error as Error).message}`);
  process.exit(1);
}
