import { type MockLlm, startMockLlm } from '@oversight/mock-llm';
import { createGuard, getOversight, init, instrument } from '@oversight/sdk';
import OpenAI from 'openai';
import { createChatbot, type TurnResult } from './chatbot.ts';
import { KnowledgeBase } from './knowledge-base.ts';
import { MOCK_SCRIPT, type Question } from './questions.ts';
import { seededRandom } from './random.ts';
import { runSimulation, type SimulationSummary, type TurnLine } from './simulation.ts';

export interface DemoOptions {
  /** Collector base URL; default `OVERSIGHT_ENDPOINT`, then the SDK's default. */
  endpoint?: string;
  /** Default `OVERSIGHT_API_KEY`; a collector started with `--insecure-dev` needs none. */
  apiKey?: string;
  /**
   * An OpenAI-compatible server; default: the OpenAI API when `openaiApiKey`
   * (default `OPENAI_API_KEY`) is set, else a mock LLM started in this process.
   */
  llmUrl?: string;
  /** Key for `llmUrl` or the OpenAI API; default `OPENAI_API_KEY`. */
  openaiApiKey?: string;
  conversations?: number;
  forever?: boolean;
  intervalMs?: number;
  seed?: number;
  serviceName?: string;
  questions?: readonly Question[];
  /** Latency of the mock LLM this demo starts, so traces show realistic durations and ttft. */
  mockLatency?: { latencyMs: number; chunkDelayMs: number };
  signal?: AbortSignal;
  /** One line per turn; default `console.log`. */
  log?: (line: string) => void;
  /** Every turn as data, for callers that want more than the line. */
  onTurn?: (turn: TurnLine) => void;
}

export interface DemoRun extends SimulationSummary {
  llmUrl: string;
}

export const OPENAI_API_URL = 'https://api.openai.com';

/** Where the bot's model runs: a given server, the real OpenAI API when a key is set, else the local mock. */
export function llmTarget(options: { llmUrl?: string; openaiApiKey?: string } = {}): {
  url: string | undefined;
  apiKey: string;
} {
  const key = options.openaiApiKey ?? process.env.OPENAI_API_KEY;
  const url = options.llmUrl ?? process.env.MOCK_LLM_URL ?? (key ? OPENAI_API_URL : undefined);
  return { url, apiKey: key || 'sk-demo-no-key-needed' };
}

/**
 * Sets up Oversight the way an app would (`init()` once at start, clients
 * wrapped with `instrument()` so it works under any loader or bundler), then
 * runs simulated user sessions against the chatbot until done or aborted.
 * Spans are flushed before it returns; the SDK stays initialised.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoRun> {
  const endpoint = options.endpoint ?? process.env.OVERSIGHT_ENDPOINT;
  const apiKey = options.apiKey ?? process.env.OVERSIGHT_API_KEY;
  const handle =
    getOversight() ??
    init({
      ...(endpoint ? { endpoint } : {}),
      ...(apiKey ? { apiKey } : {}),
      serviceName: options.serviceName ?? 'lumen-help-bot',
      resourceAttributes: { 'deployment.environment': 'demo' },
    });

  const target = llmTarget(options);
  const mock: MockLlm | undefined = target.url
    ? undefined
    : await startMockLlm({
        ...(options.mockLatency ?? { latencyMs: 40, chunkDelayMs: 8 }),
        script: MOCK_SCRIPT,
      });
  const llmUrl = target.url ?? (mock as MockLlm).url;
  try {
    const openai = instrument(
      new OpenAI({
        apiKey: target.apiKey,
        baseURL: `${llmUrl.replace(/\/+$/, '')}/v1`,
        maxRetries: 1,
      }),
    );
    const kb = await KnowledgeBase.build(openai);
    const guard = createGuard({
      name: 'lumen-help',
      policyId: 'lumen-help-v1',
      input: {
        // An injection never reaches the model: it is refused and shows on the safety dashboard.
        prompt_injection: { action: 'block' },
        // Only a clear jailbreak is refused outright, so ordinary questions never are.
        jailbreak: { action: 'block', threshold: 0.9 },
      },
    });
    const bot = createChatbot({ openai, kb, guard });
    const log = options.log ?? ((line: string) => console.log(line));
    const summary = await runSimulation({
      bot,
      random: seededRandom(options.seed ?? Date.now()),
      conversations: options.conversations ?? 30,
      forever: options.forever ?? false,
      intervalMs: options.intervalMs ?? 1000,
      ...(options.questions ? { questions: options.questions } : {}),
      feedback: { ...(endpoint ? { endpoint } : {}), ...(apiKey ? { apiKey } : {}) },
      runId: `demo-${Date.now().toString(36)}`,
      ...(options.signal ? { signal: options.signal } : {}),
      onTurn: (turn) => {
        options.onTurn?.(turn);
        log(formatTurn(turn));
      },
    });
    await handle.flush();
    return { ...summary, llmUrl };
  } finally {
    await mock?.close();
  }
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export function formatTurn({ sessionId, userId, result, feedback, edited, ms }: TurnLine): string {
  const docs = result.documents.length > 0 ? ` [${result.documents.join(', ')}]` : '';
  const flags = guardNote(result);
  const given = [feedback, edited ? 'edit' : undefined].filter(Boolean).join(', ');
  const thumbs = given ? `  feedback: ${given}` : '';
  return (
    `${sessionId} ${userId.padEnd(11)} ${result.outcome.padEnd(8)} ` +
    `"${clip(result.asked || result.question, 60)}" → "${clip(result.answer, 70)}"${docs}${flags} ${Math.round(ms)} ms${thumbs}`
  );
}

function guardNote(result: TurnResult): string {
  const notes: string[] = [];
  if (result.input !== 'allowed') notes.push(`input ${result.input}`);
  if (result.output && result.output !== 'allowed') notes.push(`output ${result.output}`);
  return notes.length > 0 ? ` (guard: ${notes.join(', ')})` : '';
}
