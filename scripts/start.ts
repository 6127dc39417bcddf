#!/usr/bin/env node
/**
 * `npm start`: the collector (embedded ClickHouse, no API key needed), the
 * mock LLM and the RAG support bot sending it traffic; once the conversations
 * are done, a report of what Oversight found, read back from ClickHouse. The
 * collector then keeps running until Ctrl-C (`--once`, or CI=true: exit).
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
import { MultiBar, Presets } from 'cli-progress';
import { resolveConfig } from '../collector/src/config.ts';
import { runReadOnlySql } from '../collector/src/sql.ts';
import { formatReport, progressFingerprint, type Query, readReport, storedCounts } from './demo-report.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_DATA_DIR = '.oversight/data';

const USAGE = `npm start [-- options]

  --no-demo             run only the collector
  --port <port>         collector port (default 4318, the OTLP/HTTP port)
  --data-dir <dir>      embedded ClickHouse data directory (default ${DEFAULT_DATA_DIR})
  --conversations <n>   demo conversations before the demo stops (default 30)
  --forever             demo keeps talking until Ctrl-C (no report)
  --interval-ms <ms>    pause between demo turns (default 1000; 0 with --once)
  --once                exit after the report (the default when CI=true)
  --llm-url <url>       OpenAI-compatible server for the demo (default: the OpenAI API
                        when OPENAI_API_KEY is set, else a local mock LLM)
`;

const OPTIONS = {
  demo: { type: 'boolean', default: true },
  port: { type: 'string', default: process.env.OVERSIGHT_PORT ?? '4318' },
  'data-dir': { type: 'string', default: process.env.OVERSIGHT_DATA_DIR ?? DEFAULT_DATA_DIR },
  conversations: { type: 'string', default: '30' },
  forever: { type: 'boolean', default: false },
  'interval-ms': { type: 'string' },
  once: { type: 'boolean', default: false },
  'llm-url': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function parseOptions() {
  try {
    return parseArgs({ allowNegative: true, options: OPTIONS });
  } catch (e) {
    // parseArgs's own errors ("Unknown option '--data'") are the user's to read, not a stack trace.
    if (!(e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'))) throw e;
    process.stderr.write(`start: ${e.message}\n${USAGE}`);
    process.exit(2);
  }
}

const { values } = parseOptions();

if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

/** Flags that each undo the other: refused rather than one silently ignored (a run that never exits in CI). */
const CONFLICTS: [boolean, string][] = [
  [values.once && values.forever, '--once exits after the report, --forever never gets to one'],
  [values.once && !values.demo, "--once exits after the demo's report, and --no-demo runs no demo"],
  [values.forever && !values.demo, '--forever keeps the demo talking, and --no-demo runs no demo'],
];
for (const [conflict, why] of CONFLICTS) {
  if (!conflict) continue;
  process.stderr.write(`start: ${why}: pass one of them\n${USAGE}`);
  process.exit(2);
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
const ci = process.env.CI === 'true' || process.env.CI === '1';
const exitAfterReport = (values.once || ci) && !values.forever;
// Pauses between turns only make a live trickle for dashboards; a one-shot run wants its report.
const intervalMs = wholeNumber('interval-ms', values['interval-ms'] ?? (exitAfterReport ? '0' : '1000'));
const dataDir = values['data-dir'];
const dataDirFlag = dataDir === DEFAULT_DATA_DIR ? '' : ` --data-dir ${dataDir}`;
/** How long the report waits for the collector to store and score the run before printing what it has. */
const SETTLE_TIMEOUT_MS = 90_000;
/** Scores unchanged this long count as done: longer than the collector's 2 s trace grace period plus a write. */
const SETTLED_AFTER_MS = 5_000;

/** Starts the collector and resolves with its URL once it listens; rejects with its output if it dies first. */
async function startCollectorProcess(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [
      // The collector's sources, also when this script runs outside npm (exports default to dist).
      '--conditions=oversight:source',
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

function banner(url: string, llm: string | undefined): string {
  const sql = (query: string) => `    npx oversight sql${dataDirFlag} "${query}"`;
  return [
    '',
    'Oversight is running.',
    `  collector      ${url}  (OTLP/HTTP: ${url}/v1/traces, feedback: ${url}/v1/feedback, metrics: ${url}/metrics)`,
    `  data           embedded ClickHouse in ${path.resolve(dataDir)}`,
    llm ? `  LLM            ${llm}` : '',
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
  if (signal === 'done') {
    stopping = true;
    console.log('[start] --once: stopping the collector…');
    collector.kill('SIGTERM');
    await collectorExited;
    await mock?.close();
    process.exit(process.exitCode ?? 0);
  }
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

const query: Query = async (sql) => {
  const text = await runReadOnlySql(resolveConfig({ dataDir }), sql, 'json');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
};

/**
 * Progress bars on a terminal (lines logged above them); plain lines in a CI
 * log or a pipe, where redrawn bars would only be noise.
 */
function progress(label: string, total: number) {
  const tty = process.stdout.isTTY === true;
  const bars = tty
    ? new MultiBar(
        { format: `${label} [{bar}] {value}/{total} {status}`, hideCursor: true, clearOnComplete: true },
        Presets.shades_classic,
      )
    : undefined;
  const bar = bars?.create(total, 0, { status: '' });
  return {
    log(line: string) {
      if (bars) bars.log(`${line}\n`);
      else console.log(line);
    },
    update(value: number, status = '') {
      bar?.update(Math.min(value, total), { status });
    },
    stop() {
      bars?.stop();
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until the collector holds every trace and feedback of the run, then
 * until its scores (groundedness, topics, gaps) stop changing: they follow a
 * trace's grace period, so "stored" is not yet "scored".
 */
async function waitForCollector(
  expected: { traces: number; feedback: number },
  sinceMs: number,
): Promise<void> {
  const bar = progress('[report] storing and scoring', expected.traces);
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  // Ctrl-C while waiting stops the wait: the report was not asked for any more.
  const waiting = () => Date.now() < deadline && !controller.signal.aborted;
  try {
    let stored = { traces: 0, feedback: 0 };
    while (waiting()) {
      stored = await storedCounts(query, sinceMs);
      bar.update(stored.traces, `traces, ${stored.feedback}/${expected.feedback} feedback`);
      if (stored.traces >= expected.traces && stored.feedback >= expected.feedback) break;
      await sleep(250);
    }
    let last = '';
    let stableSince = Date.now();
    while (waiting()) {
      const now = await progressFingerprint(query, sinceMs);
      if (now !== last) {
        last = now;
        stableSince = Date.now();
      } else if (Date.now() - stableSince >= SETTLED_AFTER_MS) {
        return;
      }
      bar.update(stored.traces, 'scores settling');
      await sleep(500);
    }
    if (!controller.signal.aborted)
      bar.log('[report] the collector is still busy; reporting what it has so far');
  } finally {
    bar.stop();
  }
}

if (!values.demo) {
  console.log(banner(url, undefined));
} else {
  const [{ startMockLlm }, { runDemo, llmTarget, MOCK_SCRIPT }, { getOversight }] = await Promise.all([
    import('@oversight/mock-llm'),
    import('@oversight/rag-support-bot'),
    import('@oversight/sdk'),
  ]);
  const target = llmTarget(values['llm-url'] ? { llmUrl: values['llm-url'] } : {});
  if (!target.url) mock = await startMockLlm({ latencyMs: 60, chunkDelayMs: 12, script: MOCK_SCRIPT });
  const llmUrl = target.url ?? (mock as { url: string }).url;
  const llmNote = target.url
    ? process.env.OPENAI_API_KEY && !values['llm-url']
      ? `${llmUrl}/v1  (the OpenAI API, OPENAI_API_KEY is set)`
      : `${llmUrl}/v1`
    : `${llmUrl}/v1  (local mock: OpenAI and Anthropic wire protocols, no key)`;
  console.log(banner(url, llmNote));
  console.log(
    values.forever
      ? '[demo] simulated users chatting until Ctrl-C:'
      : `[demo] ${conversations} simulated conversations (--forever for more):`,
  );
  const startedMs = Date.now();
  const bar = values.forever ? undefined : progress('[demo] conversations', conversations);
  demoDone = runDemo({
    endpoint: url,
    llmUrl,
    conversations,
    forever: values.forever,
    intervalMs,
    signal: controller.signal,
    log: (line) => (bar ? bar.log(`[demo] ${line}`) : console.log(`[demo] ${line}`)),
    onTurn: (turn) => bar?.update(turn.conversation),
  }).then(
    async (run) => {
      bar?.update(conversations);
      bar?.stop();
      await getOversight()?.shutdown();
      const o = run.outcomes;
      console.log(
        `[demo] done: ${run.turns} turns (answered ${o.answered}, don't know ${o.unknown}, tool ${o.tool}, blocked ${o.blocked}), ` +
          `feedback ${run.feedback.up} up / ${run.feedback.down} down / ${run.feedback.edits} edits.`,
      );
      if (stopping) return;
      const sent = run.feedback.up + run.feedback.down + run.feedback.edits;
      try {
        await waitForCollector({ traces: run.turns, feedback: sent }, startedMs);
        if (stopping) return;
        console.log(formatReport(await readReport(query, startedMs), { dataDirFlag }));
      } catch (error) {
        console.error(`[report] failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exitCode = 1;
      }
      if (exitAfterReport) {
        await stop('done');
        return;
      }
      if (!stopping)
        console.log('[start] the collector keeps running: query it, point your app at it, Ctrl-C to stop.');
    },
    (error: unknown) => {
      bar?.stop();
      // The client's "Connection error." does not say which server: the --llm-url, or the mock.
      console.error(
        `[demo] stopped: ${error instanceof Error ? error.message : String(error)} (LLM at ${llmUrl}/v1)`,
      );
      if (exitAfterReport) {
        process.exitCode = 1;
        void stop('done');
      } else if (!stopping)
        console.log(
          '[start] the collector keeps running without the demo: point your app at it, Ctrl-C to stop.',
        );
    },
  );
}
