import { setTimeout as sleep } from 'node:timers/promises';
import { type FeedbackOptions, feedback, withContext } from '@oversight/sdk';
import type { Chatbot, Outcome, Turn, TurnResult } from './chatbot.ts';
import { QUESTIONS, type Question } from './questions.ts';
import type { Random } from './random.ts';

export interface SimulationOptions {
  bot: Chatbot;
  random: Random;
  /** Conversations to run; ignored when `forever`. */
  conversations: number;
  forever?: boolean;
  /** Pause between turns, for a steady trickle of traffic. */
  intervalMs: number;
  /** Questions in the order they are asked; default: every question, reshuffled each round. */
  questions?: readonly Question[];
  /** Where `feedback()` posts. */
  feedback: FeedbackOptions;
  /** Prefix of the session ids, so runs are told apart. */
  runId: string;
  signal?: AbortSignal;
  onTurn?: (line: TurnLine) => void;
}

export interface TurnLine {
  conversation: number;
  sessionId: string;
  userId: string;
  result: TurnResult;
  feedback: 'up' | 'down' | undefined;
  /** The user rewrote the answer (`edit` feedback with the correction). */
  edited: boolean;
  ms: number;
}

export interface SimulationSummary {
  conversations: number;
  turns: number;
  outcomes: Record<Outcome, number>;
  feedback: { up: number; down: number; edits: number; failed: number };
}

const USERS = [
  'user-ana',
  'user-ben',
  'user-chen',
  'user-dara',
  'user-eli',
  'user-fatima',
  'user-goran',
  'user-hana',
];

/** How likely a simulated user is to press thumbs up, by what they got back. */
const THUMBS_UP: Record<Outcome, number> = { answered: 0.8, tool: 0.9, unknown: 0.15, blocked: 0.3 };
/** Not everyone leaves feedback. */
const FEEDBACK_RATE = 0.7;
const COMMENTS: Record<'up' | 'down', readonly string[]> = {
  up: ['thanks, that was it', 'clear and quick', 'exactly what I needed'],
  down: ['did not answer my question', 'too vague', 'I still do not know what to do'],
};

/**
 * Simulated users: each conversation is one session of one to three turns
 * from one user, every turn a trace; after a turn the user may leave thumbs
 * up or down, linked to that turn's trace.
 */
export async function runSimulation(options: SimulationOptions): Promise<SimulationSummary> {
  const { bot, random } = options;
  const summary: SimulationSummary = {
    conversations: 0,
    turns: 0,
    outcomes: { answered: 0, unknown: 0, tool: 0, blocked: 0 },
    feedback: { up: 0, down: 0, edits: 0, failed: 0 },
  };
  let deck: Question[] = [];
  const draw = (): Question => {
    if (deck.length === 0) deck = options.questions ? [...options.questions] : random.shuffle(QUESTIONS);
    return deck.shift() as Question;
  };
  const stopped = () => options.signal?.aborted === true;

  for (let n = 1; options.forever || n <= options.conversations; n++) {
    if (stopped()) break;
    const sessionId = `${options.runId}-s${String(n).padStart(3, '0')}`;
    const userId = random.pick(USERS);
    const turns = 1 + random.int(3);
    const history: Turn[] = [];
    summary.conversations += 1;
    await withContext({ sessionId, userId, metadata: { app: 'rag-support-bot' } }, async () => {
      for (let t = 0; t < turns && !stopped(); t++) {
        const started = performance.now();
        const question = draw();
        const result = await bot.ask(question.text, history.slice(-2));
        history.push({ asked: result.asked, answer: result.answer });
        summary.turns += 1;
        summary.outcomes[result.outcome] += 1;
        // A user who spots the wrong detail fixes it, and does not press thumbs up.
        const wrong = question.correction !== undefined && result.answer === question.wrongAnswer;
        const edit = wrong
          ? await sendEdit(result, userId, question.correction as string, options.feedback)
          : undefined;
        if (edit === 'failed') summary.feedback.failed += 1;
        else if (edit) summary.feedback.edits += 1;
        const value = await leaveFeedback(result, userId, random, options.feedback, wrong);
        if (value === 'failed') summary.feedback.failed += 1;
        else if (value) summary.feedback[value] += 1;
        options.onTurn?.({
          conversation: n,
          sessionId,
          userId,
          result,
          feedback: value === 'failed' ? undefined : value,
          edited: edit === 'edit',
          ms: performance.now() - started,
        });
        if (options.intervalMs > 0 && !stopped()) {
          await sleep(options.intervalMs, undefined, { signal: options.signal }).catch(() => {});
        }
      }
    });
  }
  return summary;
}

async function leaveFeedback(
  result: TurnResult,
  userId: string,
  random: Random,
  target: FeedbackOptions,
  wrong: boolean,
): Promise<'up' | 'down' | 'failed' | undefined> {
  if (!result.traceId || !random.chance(FEEDBACK_RATE)) return undefined;
  const value = !wrong && random.chance(THUMBS_UP[result.outcome]) ? 'up' : 'down';
  const comment = random.chance(0.5) ? random.pick(COMMENTS[value]) : undefined;
  const sent = await feedback(
    { traceId: result.traceId, value, userId, ...(comment ? { comment } : {}) },
    target,
  );
  return sent.ok ? value : 'failed';
}

async function sendEdit(
  result: TurnResult,
  userId: string,
  correction: string,
  target: FeedbackOptions,
): Promise<'edit' | 'failed' | undefined> {
  if (!result.traceId) return undefined;
  const sent = await feedback({ traceId: result.traceId, kind: 'edit', correction, userId }, target);
  return sent.ok ? 'edit' : 'failed';
}
