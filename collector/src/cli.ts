#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { Command, Option } from 'commander';
import { type Config, type ConfigInput, resolveConfig } from './config.ts';
import { listenError } from './listen-error.ts';

/**
 * `oversight`: start the collector, migrate the schema, query the store, and
 * evaluate or train the scorers. Every setting is a flag and an
 * `OVERSIGHT_*` environment variable (flags win).
 */
const program = new Command('oversight').description(
  'LLM observability collector: OTLP in, scored LLM/RAG spans in ClickHouse out',
);

/**
 * A command's options, fresh for each command that adds them. The action
 * reads each under commander's camelCase of its flag, which is also the
 * config key; values are checked by the zod schemas where they enter
 * (config, export flags), not here.
 */
function addOptions(command: Command, ...groups: Option[][]): Command {
  for (const group of groups) for (const option of group) command.addOption(option);
  return command;
}

/** The options of `options` that `group` declares, without the unset ones. */
function pick(options: Record<string, unknown>, group: Option[]): Record<string, unknown> {
  return Object.fromEntries(
    group.flatMap((o) => {
      const k = o.attributeName();
      return options[k] === undefined ? [] : [[k, options[k]]];
    }),
  );
}

const storeOptions = (): Option[] => [
  new Option('--data-dir <dir>', 'embedded ClickHouse (chdb) data directory')
    .env('OVERSIGHT_DATA_DIR')
    .default('.oversight/data'),
  new Option(
    '--clickhouse-url <url>',
    'use a ClickHouse server instead of the embedded engine (e.g. http://localhost:8123)',
  ).env('CLICKHOUSE_URL'),
  new Option('--clickhouse-user <user>', 'ClickHouse server user').env('CLICKHOUSE_USER').default('default'),
  new Option('--clickhouse-password <password>', 'ClickHouse server password')
    .env('CLICKHOUSE_PASSWORD')
    .default(''),
  new Option('--database <name>', 'database holding the Oversight tables')
    .env('OVERSIGHT_DATABASE')
    .default('oversight'),
  new Option(
    '--cluster <name>',
    'ClickHouse cluster: DDL ON CLUSTER with Replicated + Distributed tables',
  ).env('OVERSIGHT_CLUSTER'),
  new Option(
    '--ttl-days <days>',
    'raw rows expire after this many days; 0 keeps them (default: 30 for new tables; given, it changes existing ones)',
  ).env('OVERSIGHT_TTL_DAYS'),
];

const startOptions = (): Option[] => [
  new Option('--port <port>', 'listen port (4318 is the OTLP/HTTP default)')
    .env('OVERSIGHT_PORT')
    .default('4318'),
  new Option('--host <host>', 'listen address').env('OVERSIGHT_HOST').default('127.0.0.1'),
  new Option(
    '--api-keys <spec>',
    'API keys: key=project,key2=project2 or a YAML/JSON file { keys: { <key>: <project> } }',
  ).env('OVERSIGHT_API_KEYS'),
  // An optional value, so OVERSIGHT_INSECURE_DEV=false or 0 reaches the config
  // as said: commander sets a plain flag whenever its variable exists at all.
  new Option(
    '--insecure-dev [on]',
    'accept requests without an API key (project "default"); for local demos only',
  ).env('OVERSIGHT_INSECURE_DEV'),
  new Option('--wal-dir <dir>', 'write-ahead log directory (default: next to the data dir)').env(
    'OVERSIGHT_WAL_DIR',
  ),
  new Option('--wal-max-bytes <bytes>', 'write-ahead log cap; past it requests get 503 (default 1 GiB)').env(
    'OVERSIGHT_WAL_MAX_BYTES',
  ),
  new Option(
    '--wal-retry-after-seconds <s>',
    'Retry-After sent with 503 when the log is full (default 2)',
  ).env('OVERSIGHT_WAL_RETRY_AFTER_SECONDS'),
  new Option('--max-body-bytes <bytes>', 'largest accepted request body as sent (default 20 MiB)').env(
    'OVERSIGHT_MAX_BODY_BYTES',
  ),
  new Option(
    '--max-decompressed-bytes <bytes>',
    'largest request body once its gzip, zstd or deflate is undone (default 64 MiB)',
  ).env('OVERSIGHT_MAX_DECOMPRESSED_BYTES'),
  new Option(
    '--max-in-flight-bytes <bytes>',
    'request bodies held at once over every key (one key: half, or --max-decompressed-bytes); past it 503 (default 256 MiB)',
  ).env('OVERSIGHT_MAX_IN_FLIGHT_BYTES'),
  new Option(
    '--request-timeout-ms <ms>',
    'time a request has to arrive whole; a slow body past it gets 408 (default 60000)',
  ).env('OVERSIGHT_REQUEST_TIMEOUT_MS'),
  new Option(
    '--keep-alive-timeout-ms <ms>',
    "idle keep-alive connections are closed after this long; keep it above the load balancer's idle timeout (default 65000)",
  ).env('OVERSIGHT_KEEP_ALIVE_TIMEOUT_MS'),
  new Option(
    '--shutdown-delay-ms <ms>',
    'on SIGTERM, answer /readyz 503 and keep serving this long before closing the listener (default 0)',
  ).env('OVERSIGHT_SHUTDOWN_DELAY_MS'),
  new Option('--rate-limit-spans-per-second <n>', 'per-API-key span rate; 0 = unlimited (default 0)').env(
    'OVERSIGHT_RATE_LIMIT_SPANS_PER_SECOND',
  ),
  new Option('--max-text-chars <n>', 'longest prompt/completion text kept per field (default 100000)').env(
    'OVERSIGHT_MAX_TEXT_CHARS',
  ),
  new Option('--evaluators <list>', 'safety scorers to run: all, none, or a comma list (default all)').env(
    'OVERSIGHT_EVALUATORS',
  ),
  new Option('--evaluator-thresholds <list>', 'per-evaluator thresholds, e.g. toxicity=0.7,pii=0.6').env(
    'OVERSIGHT_EVALUATOR_THRESHOLDS',
  ),
  new Option(
    '--transform-workers <n>',
    'worker threads for normalizing and scoring; 0 = on the main thread (default: 1 on ≥ 2 cores)',
  ).env('OVERSIGHT_TRANSFORM_WORKERS'),
  new Option(
    '--trace-quality <on>',
    'score groundedness and relevance per assembled trace: true or false (default true)',
  ).env('OVERSIGHT_TRACE_QUALITY'),
  new Option('--trace-grace-ms <ms>', 'wait after a trace root ends before scoring it (default 2000)').env(
    'OVERSIGHT_TRACE_GRACE_MS',
  ),
  new Option('--trace-idle-ms <ms>', 'score a trace after this long without a new span (default 30000)').env(
    'OVERSIGHT_TRACE_IDLE_MS',
  ),
  new Option(
    '--trace-max-open <n>',
    'traces assembled at once at most; past it the oldest is scored early (default 10000)',
  ).env('OVERSIGHT_TRACE_MAX_OPEN'),
  new Option(
    '--trace-max-open-bytes <bytes>',
    'estimated bytes of open traces at most; past it the oldest is scored early (default 64 MiB)',
  ).env('OVERSIGHT_TRACE_MAX_OPEN_BYTES'),
  new Option(
    '--trace-recover-minutes <m>',
    'on start, score unscored generations this recent (default 60)',
  ).env('OVERSIGHT_TRACE_RECOVER_MINUTES'),
  // No .choices(): commander checks a variable's value before it reads --help, so a bad
  // OVERSIGHT_TOPICS_EMBEDDER hid the help that lists the good ones; the config checks it.
  new Option(
    '--topics-embedder <kind>',
    'question vectors for topics when the app sent none: student (default; hashed n-grams + a distilled sentence network, ≈ 20 µs a question), hashed (the n-grams alone, ≈ 10 µs), use (hashed + sentence encoder, ≈ 10 ms a question on a worker thread), openai, onnx, or none (no topics)',
  ).env('OVERSIGHT_TOPICS_EMBEDDER'),
  new Option('--topics-embedder-url <url>', 'OpenAI-compatible embeddings base URL, e.g. http://host/v1').env(
    'OVERSIGHT_TOPICS_EMBEDDER_URL',
  ),
  new Option('--topics-embedder-model <name>', 'embedding model name for --topics-embedder openai').env(
    'OVERSIGHT_TOPICS_EMBEDDER_MODEL',
  ),
  new Option('--topics-embedder-api-key <key>', 'API key for the embeddings endpoint').env(
    'OVERSIGHT_TOPICS_EMBEDDER_API_KEY',
  ),
  new Option('--topics-embedder-dir <dir>', 'ONNX model directory (model.onnx + vocab.txt)').env(
    'OVERSIGHT_TOPICS_EMBEDDER_DIR',
  ),
  new Option(
    '--topics-embedder-cache <n>',
    'distinct questions whose use, openai or onnx vectors are kept for repeats (default 4096; 0: none)',
  ).env('OVERSIGHT_TOPICS_EMBEDDER_CACHE'),
  new Option(
    '--topic-rows-every-seconds <s>',
    "rewrite a changed topic's row (its whole centroid) at most this often; new topics and merges go at once, the rest at a clean stop (default 60; 0: every batch)",
  ).env('OVERSIGHT_TOPIC_ROWS_EVERY_SECONDS'),
];

/** What the DDL depends on: the store's database, cluster and TTL, without a connection. */
const ddlOptions = (): Option[] =>
  storeOptions().filter((o) => ['database', 'cluster', 'ttlDays'].includes(o.attributeName()));

const sqlOptions = (): Option[] => [
  new Option('--format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'),
];

const exportOptions = (): Option[] => [
  new Option('--format <format>', 'record shape').choices(['kto', 'dpo', 'sft']).makeOptionMandatory(),
  new Option('--since <date>', 'feedback received at or after (YYYY-MM-DD or ISO date-time, UTC)'),
  new Option('--until <date>', 'feedback received before'),
  new Option('--project <id>', 'one project only'),
  new Option('--topic <id>', 'one topic id only'),
  new Option('--min-groundedness <x>', 'positive examples need a groundedness score ≥ x (0-1)'),
  new Option('--out <file>', 'write JSONL here instead of stdout'),
  new Option('--no-mask-pii', 'keep PII in the exported text (masked by default)'),
];

// A blank variable is an unset one (what `X: ${X:-}` in a compose file hands
// over), before commander sees it: a blank current name must not hide a
// former name's value (below), and the config's own blank-as-unset comes
// after that.
for (const [name, value] of Object.entries(process.env))
  if (/^(OVERSIGHT|CLICKHOUSE)_/.test(name) && value?.trim() === '') delete process.env[name];

/**
 * Every variable is OVERSIGHT_ and its flag, but these two were first named
 * shorter; the old names are still read, the flag's name winning.
 */
const FORMER_VARIABLES: Record<string, string> = {
  OVERSIGHT_RATE_LIMIT: 'OVERSIGHT_RATE_LIMIT_SPANS_PER_SECOND',
  OVERSIGHT_WAL_RETRY_AFTER: 'OVERSIGHT_WAL_RETRY_AFTER_SECONDS',
};
/** The variables read under their former name: an error about one names what the operator set. */
const setUnderFormerName = new Map<string, string>();
for (const [former, current] of Object.entries(FORMER_VARIABLES)) {
  const value = process.env[former];
  if (value !== undefined && process.env[current] === undefined) {
    process.env[current] = value;
    setUnderFormerName.set(current, former);
  }
}

function withStoreOptions(command: Command): Command {
  return addOptions(command, storeOptions());
}

/** Commander's camelCase option names are the config keys; drop unset ones so defaults apply. */
function toConfig(options: Record<string, unknown>): ConfigInput {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as ConfigInput;
}

/**
 * The config of `command`'s options. The config names a bad setting by its
 * key (`ttlDays`), which the operator never typed: the error names the flag,
 * or the variable when the value came from the environment.
 */
function configOf(command: Command, options: Record<string, unknown>): Config {
  try {
    return resolveConfig(toConfig(options));
  } catch (error) {
    const message = (error as Error).message;
    if (!message.startsWith('invalid configuration:')) throw error;
    // A key is where an issue names its path ("ttlDays: …") or a value it compares ("maxInFlightBytes (5)").
    throw new Error(
      message.replace(/\b[a-z][A-Za-z]*(?=: | \()/g, (key) => settingName(command, key) ?? key),
    );
  }
}

function settingName(command: Command, key: string): string | undefined {
  const option = command.options.find((o) => o.attributeName() === key);
  if (option?.long === undefined) return undefined;
  if (command.getOptionValueSource(key) !== 'env' || option.envVar === undefined) return option.long;
  return `${setUnderFormerName.get(option.envVar) ?? option.envVar} (${option.long})`;
}

/** A URL fit for an error line: whatever credentials it carries are left out. */
function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString();
}

/**
 * Fails, in words an operator acts on, when the collector could not listen
 * on host:port. Checked before the store opens: a collector that met the
 * taken port only after opening it exited with the embedded engine's threads
 * still running, and could hang or crash on the way out, holding the data
 * directory's lock.
 */
async function ensureCanListen(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen({ host, port, exclusive: true }, resolve);
    });
  } catch (error) {
    throw listenError(error, host, port);
  }
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}

/**
 * `config`, when there is data to read at it. Opening an embedded directory
 * that is not there creates an empty engine in it, and the query's "Unknown
 * table llm_spans" hides the cause: a mistyped --data-dir, or another
 * working directory.
 */
function readableData(config: Config): Config {
  if (!config.clickhouseUrl && !existsSync(config.dataDir))
    throw new Error(
      `no Oversight data in ${path.resolve(config.dataDir)}: pass the --data-dir the collector uses, or run from where it runs`,
    );
  return config;
}

addOptions(
  program
    .command('start')
    .description(
      'run the collector: OTLP/HTTP on /v1/traces, feedback on /v1/feedback, /healthz, /readyz, /metrics',
    ),
  startOptions(),
  storeOptions(),
).action(async (options, command: Command) => {
  const config = configOf(command, options);
  await ensureCanListen(config.host, config.port);
  const { startCollector } = await import('./service.ts');
  const collector = await startCollector(config);
  console.log(`[oversight] collector listening on ${collector.url} (store: ${collector.storeDescription})`);
  const stop = async (signal: string) => {
    console.log(`[oversight] ${signal}: stopping intake, draining the log…`);
    try {
      await collector.close();
    } catch (error) {
      // What the log holds is still on disk: the next start drains it.
      console.error(`[oversight] shutdown did not finish cleanly: ${(error as Error).message}`);
      process.exit(1);
    }
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
});

withStoreOptions(program.command('migrate').description('create or upgrade the database and tables')).action(
  async (options, command: Command) => {
    const { openConfiguredStore } = await import('./service.ts');
    const config = configOf(command, options);
    const store = await openConfiguredStore(config);
    try {
      await store.migrate();
    } catch (error) {
      // The client's own words ("connect ECONNREFUSED 10.0.0.5:8123") do not say it was ClickHouse.
      if (!config.clickhouseUrl) throw error;
      throw new Error(
        `ClickHouse at ${withoutCredentials(config.clickhouseUrl)}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    } finally {
      await store.close();
    }
    console.log('[oversight] schema is up to date');
  },
);

addOptions(
  program
    .command('ddl')
    .description('print the schema DDL (for review, or to apply by hand) without connecting'),
  ddlOptions(),
).action(async (options, command: Command) => {
  const { renderSchema } = await import('./store/index.ts');
  const config = configOf(command, options);
  const statements = renderSchema({
    database: config.database,
    ...(config.ttlDays !== undefined ? { ttlDays: config.ttlDays } : {}),
    ...(config.cluster ? { cluster: config.cluster } : {}),
  });
  process.stdout.write(`${statements.join(';\n\n')};\n`);
});

addOptions(
  program
    .command('sql')
    .description('run a read-only SQL query against the Oversight tables')
    .argument('<query>', 'SQL, e.g. "SELECT operation, count() FROM llm_spans GROUP BY operation"'),
  sqlOptions(),
  storeOptions(),
).action(async (query: string, options, command: Command) => {
  if (query.trim() === '') throw new Error('sql needs a query, e.g. "SELECT count() FROM llm_spans"');
  const config = readableData(configOf(command, pick(options, storeOptions())));
  const { runReadOnlySql } = await import('./sql.ts');
  process.stdout.write(await runReadOnlySql(config, query, options.format));
});

addOptions(
  program
    .command('export-preferences')
    .description(
      'user feedback as fine-tuning data (JSONL for TRL): KTO rows, DPO pairs or SFT conversations',
    ),
  exportOptions(),
  storeOptions(),
).action(async (options, command: Command) => {
  const { runExportPreferences } = await import('./export/commands.ts');
  await runExportPreferences(
    configOf(command, pick(options, storeOptions())),
    pick(options, exportOptions()),
  );
});

addOptions(
  program
    .command('dead-letters')
    .description('list the accepted requests the collector set aside (not stored, or not whole), and why'),
  [
    ...storeOptions().filter((o) => o.attributeName() === 'dataDir'),
    ...startOptions().filter((o) => o.attributeName() === 'walDir'),
    new Option('--json', 'one JSON object per letter (without the raw request)'),
  ],
).action(async (options, command: Command) => {
  const { runDeadLetters } = await import('./dead-letters.ts');
  const { json, ...rest } = options;
  process.stdout.write(await runDeadLetters(configOf(command, rest), json === true));
});

const { registerEvalCommands } = await import('./eval/index.ts');
registerEvalCommands(program, {
  addStoreOptions: withStoreOptions,
  openStore: async (flags) => {
    const { openConfiguredStore } = await import('./service.ts');
    const evalCommand = program.commands.find((c) => c.name() === 'eval') as Command;
    return openConfiguredStore(readableData(configOf(evalCommand, pick(flags, storeOptions()))));
  },
});

// The error, then where to look: the whole help after it (120 lines for `start`) scrolled it away.
for (const command of [program, ...program.commands])
  command.showHelpAfterError(
    command === program
      ? '(oversight --help lists the commands)'
      : `(oversight ${command.name()} --help lists its options)`,
  );

try {
  await program.parseAsync();
} catch (error) {
  // ClickHouse ends its exception texts with a newline: one line is one line.
  console.error(`oversight: ${(error as Error).message.trimEnd()}`);
  process.exit(1);
}
