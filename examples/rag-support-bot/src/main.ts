#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { getOversight } from '@oversight/sdk';
import { runDemo } from './run-demo.ts';

const USAGE = `rag-support-bot: a RAG chatbot for a fictional note-taking app, instrumented with Oversight

  node examples/rag-support-bot/src/main.ts [options]

  --conversations <n>   simulated user sessions to run (default 30)
  --forever             keep going until Ctrl-C
  --interval-ms <ms>    pause between turns (default 1000)
  --endpoint <url>      collector URL (default $OVERSIGHT_ENDPOINT, else http://127.0.0.1:4318)
  --api-key <key>       collector API key (default $OVERSIGHT_API_KEY)
  --llm-url <url>       OpenAI-compatible server (default $MOCK_LLM_URL; the OpenAI API when
                        OPENAI_API_KEY is set; else a mock started here)
  --seed <n>            replay a run exactly
`;

const { values } = parseArgs({
  options: {
    conversations: { type: 'string', default: '30' },
    forever: { type: 'boolean', default: false },
    'interval-ms': { type: 'string', default: '1000' },
    endpoint: { type: 'string' },
    'api-key': { type: 'string' },
    'llm-url': { type: 'string' },
    seed: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

function count(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`rag-support-bot: --${name} must be a whole number, got "${raw}"\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

const controller = new AbortController();
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // First signal: finish the turn in flight and flush; second: leave at once.
    if (interrupted) process.exit(130);
    interrupted = true;
    controller.abort();
  });
}

const summary = await runDemo({
  conversations: count('conversations', values.conversations),
  forever: values.forever,
  intervalMs: count('interval-ms', values['interval-ms']),
  ...(values.endpoint ? { endpoint: values.endpoint } : {}),
  ...(values['api-key'] ? { apiKey: values['api-key'] } : {}),
  ...(values['llm-url'] ? { llmUrl: values['llm-url'] } : {}),
  ...(values.seed ? { seed: count('seed', values.seed) } : {}),
  signal: controller.signal,
});
await getOversight()?.shutdown();
const { outcomes, feedback } = summary;
console.log(
  `rag-support-bot: ${summary.conversations} conversations, ${summary.turns} turns ` +
    `(answered ${outcomes.answered}, unknown ${outcomes.unknown}, tool ${outcomes.tool}, blocked ${outcomes.blocked}); ` +
    `feedback up ${feedback.up}, down ${feedback.down}, edits ${feedback.edits}${feedback.failed ? `, ${feedback.failed} not delivered` : ''}`,
);
