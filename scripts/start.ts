#!/usr/bin/env node
/**
 * `npm start`: the collector (embedded ClickHouse, no API key needed), the
 * mock LLM and the RAG demo app sending it traffic, until Ctrl-C.
 *
 * The collector runs as a child process so that `npx oversight sql` can query
 * the same data directory meanwhile (chdb allows one process per directory;
 * the CLI goes through the running collector). It is started in its own
 * process group, so Ctrl-C reaches this script alone: the demo stops and
 * flushes its last spans first, then the collector is told to drain.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_DATA_DIR = '.oversight/data';

const USAGE = `npm start [-- options]

  --no-demo             run only the collector
  --port <port>         collector port (default 4318, the OTLP/HTTP port)
  --data-dir <dir>      embedded ClickHouse data directory (default ${DEFAULT_DATA_DIR})
  --conversations <n>   demo conversations before the demo stops (default 30)
  --forever             demo keeps talking until Ctrl-C
  --interval-ms <ms>    pause between demo turns (default 1000)
  --llm-url <url>       OpenAI-compatible server for the demo (default: a local mock LLM)
`;

const { values } = parseArgs({
  allowNegative: true,
  options: {
    demo: { type: 'boolean', default: true },
    port: { type: 'string', default: process.env.OVERSIGHT_PORT ?? '4318' },
    'data-dir': { type: 'string', default: process.env.OVERSIGHT_DATA_DIR ?? DEFAULT_DATA_DIR },
    conversations: { type: 'string', default: '30' },
    forever: { type: 'boolean', default: false },
    'interval-ms': { type: 'string', default: '1000' },
    'llm-url': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

function wholeNumber(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`start: --${name} must be a whole number, got "${raw}"\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

const port = wholeNumber('port', values.port);
const conversations = wholeNumber('conversations', values.conversations);
const intervalMs = wholeNumber('interval-ms', values['interval-ms']);
const dataDir = values['data-dir'];

/** Starts the collector and resolves with its URL once it listens; rejects with its output if it dies first. */
async function startCollectorProcess(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, 'collector/src/cli.ts'),
      'start',
      '--insecure-dev',
      '--port',
      String(port),
      '--data-dir',
      dataDir,
    ],
    { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  // Never leave a collector behind, whatever way this script ends.
  process.once('exit', () => {
    if (child.exitCode === null) child.kill('SIGTERM');
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      console.log(line);
      const found = /listening on (\S+)/.exec(line)?.[1];
      if (found) resolve(found);
    });
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) =>
      console.error(line),
    );
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(new Error(`the collector exited (${signal ?? `code ${code}`}) before it listened`)),
    );
  });
  return { child, url };
}

function banner(url: string, llmUrl: string | undefined): string {
  const dirFlag = dataDir === DEFAULT_DATA_DIR ? '' : ` --data-dir ${dataDir}`;
  const sql = (query: string) => `    npx oversight sql${dirFlag} "${query}"`;
  return [
    '',
    'Oversight is running.',
    `  collector      ${url}  (OTLP/HTTP: ${url}/v1/traces, feedback: ${url}/v1/feedback, metrics: ${url}/metrics)`,
    `  data           embedded ClickHouse in ${path.resolve(dataDir)}`,
    llmUrl ? `  mock LLM       ${llmUrl}/v1  (OpenAI and Anthropic wire protocols, no key)` : '',
    '',
    `  Point any app at it:  OVERSIGHT_ENDPOINT=${url}  and  import '@oversight/sdk/auto'`,
    '  Try, in another terminal:',
    sql(
      'SELECT operation, count() AS spans, round(sum(cost_usd), 6) AS usd FROM llm_spans GROUP BY operation',
    ),
    sql(
      "SELECT prompt_text, completion_text FROM llm_spans WHERE operation = 'chat' ORDER BY timestamp DESC LIMIT 5",
    ),
    sql(
      "SELECT evaluator, label, count() FROM evaluations WHERE label NOT IN ('benign', 'no_pii', 'non_toxic', 'answer') GROUP BY ALL",
    ),
    sql(
      'SELECT document_id, count() AS hits, round(avg(score), 3) AS score FROM retrieval_documents GROUP BY document_id ORDER BY hits DESC',
    ),
    sql('SELECT kind, value, count() FROM feedback GROUP BY ALL'),
    '',
    'Ctrl-C stops everything (the collector drains its log into ClickHouse first).',
    '',
  ]
    .filter((line, i, all) => line !== '' || all[i - 1] !== '')
    .join('\n');
}

const { child: collector, url } = await startCollectorProcess().catch((error: Error) => {
  console.error(`start: ${error.message}`);
  process.exit(1);
});

const controller = new AbortController();
let stopping = false;
let mock: { url: string; close(): Promise<void> } | undefined;
let demoDone: Promise<void> = Promise.resolve();
const collectorExited = once(collector, 'exit');

async function stop(signal: string): Promise<void> {
  if (stopping) {
    // A second Ctrl-C: stop waiting for the demo; the collector still drains on its own.
    collector.kill('SIGTERM');
    process.exit(130);
  }
  stopping = true;
  console.log(`\n[start] ${signal}: stopping ${values.demo ? 'the demo, then ' : ''}the collector…`);
  controller.abort();
  await demoDone;
  collector.kill('SIGTERM');
  await collectorExited;
  await mock?.close();
  process.exit(0);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stop(signal));

// The collector stopping by itself (a crash, or someone killed it) ends the run too.
void collectorExited.then(([code, signal]) => {
  if (stopping) return;
  console.error(`[start] the collector stopped (${signal ?? `code ${code}`}); exiting`);
  process.exit(typeof code === 'number' && code !== 0 ? code : 1);
});

if (!values.demo) {
  console.log(banner(url, undefined));
} else {
  const [{ startMockLlm }, { runDemo }, { getOversight }] = await Promise.all([
    import('@oversight/mock-llm'),
    import('@oversight/rag-support-bot'),
    import('@oversight/sdk'),
  ]);
  if (!values['llm-url']) mock = await startMockLlm({ latencyMs: 60, chunkDelayMs: 12 });
  const llmUrl = values['llm-url'] ?? (mock as { url: string }).url;
  console.log(banner(url, llmUrl));
  console.log(
    values.forever
      ? '[demo] simulated users chatting until Ctrl-C:'
      : `[demo] ${conversations} simulated conversations (--forever for more):`,
  );
  demoDone = runDemo({
    endpoint: url,
    llmUrl,
    conversations,
    forever: values.forever,
    intervalMs,
    signal: controller.signal,
    log: (line) => console.log(`[demo] ${line}`),
  }).then(
    async (run) => {
      await getOversight()?.shutdown();
      const o = run.outcomes;
      console.log(
        `[demo] done: ${run.turns} turns (answered ${o.answered}, don't know ${o.unknown}, tool ${o.tool}, blocked ${o.blocked}), ` +
          `feedback ${run.feedback.up} up / ${run.feedback.down} down.`,
      );
      if (!stopping)
        console.log('[start] the collector keeps running: query it, point your app at it, Ctrl-C to stop.');
    },
    (error: unknown) => {
      console.error(`[demo] stopped: ${error instanceof Error ? error.message : String(error)}`);
    },
  );
}
