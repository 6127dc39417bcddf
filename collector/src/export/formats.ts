/**
 * Rated generations → fine-tuning records in the field names Hugging Face
 * TRL's trainers read, conversational form (lists of OpenAI chat messages:
 * `{role, content}`, an assistant's `tool_calls`, a result's `tool_call_id`),
 * so the system prompt and earlier turns, tool calls included, travel with
 * the question:
 *   KTO  {prompt, completion, label}     KTOTrainer (unpaired, desirable or not)
 *   DPO  {prompt, chosen, rejected}      DPOTrainer (and ORPO, CPO, …)
 *   SFT  {messages}                      SFTTrainer
 */
import { OVERSIGHT_CONTENT_WITHHELD as WITHHELD } from '@oversight/conventions';
import { canonicalize, maskPii } from '@oversight/scorers';
import { z } from 'zod';
import { wasTruncated } from '../normalize/truncate.ts';
import type { RatedGeneration } from './preference-query.ts';

export const EXPORT_FORMATS = ['kto', 'dpo', 'sft'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** An OpenAI chat tool call: `arguments` is JSON text. */
export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/**
 * An OpenAI chat message. An assistant turn that only calls tools has no
 * `content`, as in OpenAI's fine-tuning examples.
 */
export interface ChatMessage {
  role: string;
  content?: string;
  tool_calls?: ChatToolCall[];
  /** On a `tool` message: the call it answers. */
  tool_call_id?: string;
  /** On an assistant message: 0 keeps OpenAI's fine-tuning from training on it (it trains on every one). */
  weight?: 0;
}

export interface KtoRecord {
  prompt: ChatMessage[];
  completion: ChatMessage[];
  label: boolean;
}
export interface DpoRecord {
  prompt: ChatMessage[];
  chosen: ChatMessage[];
  rejected: ChatMessage[];
}
export interface SftRecord {
  messages: ChatMessage[];
}
export type ExportRecord = KtoRecord | DpoRecord | SftRecord;

export interface BuildOptions {
  /** Mask PII in every text (default true): exported files leave the observability boundary. */
  maskPii?: boolean;
  /** Positive examples (KTO desirable, DPO chosen, SFT) need at least this groundedness score; a hallucinated one is never positive. */
  minGroundedness?: number;
}

/** Counts for the summary: records per kind and rated generations skipped per reason. */
export class ExportTally {
  readonly kinds = new Map<string, number>();
  readonly skipped = new Map<string, number>();
  generations = 0;
  written = 0;
  record(kind: string) {
    this.kinds.set(kind, (this.kinds.get(kind) ?? 0) + 1);
    this.written++;
  }
  skip(reason: string, n = 1) {
    if (n > 0) this.skipped.set(reason, (this.skipped.get(reason) ?? 0) + n);
  }
  toJSON() {
    return {
      generations: this.generations,
      written: this.written,
      kinds: Object.fromEntries([...this.kinds].sort()),
      skipped: Object.fromEntries([...this.skipped].sort()),
    };
  }
}

/** Messages as the normalizer stores them in `input_messages` (LlmSpan's Message). */
const StoredMessages = z.array(
  z
    .object({
      role: z.string(),
      content: z.string().default(''),
      toolCalls: z
        .array(
          z.object({
            id: z.string().default(''),
            name: z.string().default(''),
            arguments: z.string().default(''),
          }),
        )
        .optional(),
      toolCallId: z.string().optional(),
    })
    .loose(),
);
type StoredMessage = z.infer<typeof StoredMessages>[number];

/**
 * System prompts and popular questions repeat on most rows, and masking costs
 * ≈ 50 µs a text, so masked texts are remembered; the cache is bounded
 * (cleared when full) to keep the export's memory flat.
 */
const MASK_CACHE_ENTRIES = 20_000;
const MASK_CACHE_MAX_CHARS = 4_096;
const maskCache = new Map<string, string>();

function cachedMask(text: string): string {
  if (text.length > MASK_CACHE_MAX_CHARS) return maskPii(text);
  let masked = maskCache.get(text);
  if (masked === undefined) {
    if (maskCache.size >= MASK_CACHE_ENTRIES) maskCache.clear();
    masked = maskPii(text);
    maskCache.set(text, masked);
  }
  return masked;
}

function textMasker(options: BuildOptions): (text: string) => string {
  return options.maskPii === false ? (text) => text : cachedMask;
}

/**
 * The prompt as chat messages, led by the system prompt the answer was made
 * under: the normalizer keeps it in `system_instructions`, apart from the
 * conversation. An unreadable message list falls back to the prompt text.
 */
export function promptMessages(row: RatedGeneration, mask: (text: string) => string): ChatMessage[] {
  const system: ChatMessage[] =
    row.system_instructions !== '' ? [{ role: 'system', content: mask(row.system_instructions) }] : [];
  return [...system, ...conversation(row, mask)];
}

function conversation(row: RatedGeneration, mask: (text: string) => string): ChatMessage[] {
  if (row.input_messages !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(row.input_messages);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
    }
    const messages = StoredMessages.safeParse(parsed);
    if (messages.success && messages.data.length > 0) return transcript(messages.data, mask);
  }
  return [{ role: 'user', content: mask(row.prompt_text) }];
}

/** Prefix of the ids made up for calls and results their emitter gave none. */
const MADE_UP_CALL_ID = 'call_oversight_';

/**
 * Stored messages as an OpenAI chat transcript, the shape fine-tuning
 * accepts: an assistant's calls as `tool_calls`, each result naming the call
 * it answers. Some emitters give calls and results no ids, and a transcript
 * without them is rejected, so they get made-up ones, a result answering the
 * oldest call not yet answered.
 */
function transcript(messages: StoredMessage[], mask: (text: string) => string): ChatMessage[] {
  const unanswered: string[] = [];
  let madeUp = 0;
  const makeId = () => `${MADE_UP_CALL_ID}${++madeUp}`;
  return messages.map((m): ChatMessage => {
    if (m.role === 'tool') {
      const id = m.toolCallId || unanswered[0] || makeId();
      const at = unanswered.indexOf(id);
      if (at >= 0) unanswered.splice(at, 1);
      return { role: 'tool', content: mask(m.content), tool_call_id: id };
    }
    if (m.role !== 'assistant' || !m.toolCalls || m.toolCalls.length === 0)
      return { role: m.role, content: mask(m.content) };
    const calls = m.toolCalls.map((call): ChatToolCall => {
      const id = call.id || makeId();
      unanswered.push(id);
      return {
        id,
        type: 'function',
        function: { name: call.name, arguments: maskArguments(call.arguments, mask) },
      };
    });
    return m.content === ''
      ? { role: 'assistant', tool_calls: calls }
      : { role: 'assistant', content: mask(m.content), tool_calls: calls };
  });
}

/**
 * Masks the strings inside a call's JSON arguments rather than the JSON text:
 * a masked number or a placeholder across a quote would leave arguments that
 * are not JSON. Text that is not JSON (an emitter's, or cut by truncation) is
 * masked as text.
 */
function maskArguments(text: string, mask: (text: string) => string): string {
  if (text === '') return '{}';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    return mask(text);
  }
  let changed = false;
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') {
      const masked = mask(value);
      if (masked !== value) changed = true;
      return masked;
    }
    if (Array.isArray(value)) return value.map(walk);
    if (value !== null && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, walk(v)]));
    return value;
  };
  const masked = walk(parsed);
  // Unchanged arguments keep the model's own text.
  return changed ? JSON.stringify(masked) : text;
}

const assistant = (content: string): ChatMessage[] => [{ role: 'assistant', content }];

type Unusable = 'content_withheld' | 'content_truncated';

/**
 * Why a record built from `row`'s prompt and `answers` would teach the model
 * something no one said: a withheld text, or a cut one (a cut answer teaches it to
 * stop mid-sentence or to write the mark). The SDK's cut leaves only the span's
 * flag, which does not say which text was cut, so it rules out the whole span.
 */
function unusable(row: RatedGeneration, ...answers: string[]): Unusable | undefined {
  const texts = [row.system_instructions, row.input_messages, row.prompt_text, ...answers];
  if (texts.some((text) => text.includes(WITHHELD))) return 'content_withheld';
  if (row.content_truncated === 1 || texts.some(wasTruncated)) return 'content_truncated';
  return undefined;
}

/**
 * Why a liked answer cannot be a positive example, in every format alike: a
 * thumbs-up says the user liked it, not that it was true, and a model tuned
 * towards answers users liked but the context did not support learns to
 * invent what users like to hear.
 */
function unfitPositive(
  row: RatedGeneration,
  options: BuildOptions,
): 'hallucinated' | 'below_min_groundedness' | undefined {
  if (row.hallucinated === 1) return 'hallucinated';
  if (options.minGroundedness === undefined) return undefined;
  const grounded = row.groundedness !== null && row.groundedness >= options.minGroundedness;
  return grounded ? undefined : 'below_min_groundedness';
}

export function* ktoRecords(
  row: RatedGeneration,
  options: BuildOptions,
  tally: ExportTally,
): Generator<KtoRecord> {
  tally.generations++;
  if (row.ups + row.downs === 0) return tally.skip('no_thumbs');
  if (row.ups === row.downs) return tally.skip('tied_votes');
  const label = row.ups > row.downs;
  const unfit = label ? unfitPositive(row, options) : undefined;
  if (unfit) return tally.skip(unfit);
  const problem = unusable(row, row.completion_text);
  if (problem) return tally.skip(problem);
  const mask = textMasker(options);
  tally.record(label ? 'desirable' : 'undesirable');
  yield { prompt: promptMessages(row, mask), completion: assistant(mask(row.completion_text)), label };
}

/**
 * An SFT transcript ending in `answer`. Only the rated turn is an example:
 * answers to earlier user turns were never rated (some may have been disliked),
 * so they get weight 0; the assistant's tool calls after the last user message
 * are the rated turn's own steps and train with it.
 */
function sftMessages(prompt: ChatMessage[], answer: string): ChatMessage[] {
  const ratedTurn = prompt.findLastIndex((m) => m.role === 'user');
  return [
    ...prompt.map((m, i): ChatMessage => (m.role === 'assistant' && i < ratedTurn ? { ...m, weight: 0 } : m)),
    ...assistant(answer),
  ];
}

export function* sftRecords(
  row: RatedGeneration,
  options: BuildOptions,
  tally: ExportTally,
): Generator<SftRecord> {
  tally.generations++;
  const mask = textMasker(options);
  // The user's own correction is the best answer we have for that prompt.
  if (row.correction !== '') {
    const problem = unusable(row, row.correction);
    if (problem) return tally.skip(problem);
    tally.record('correction');
    yield { messages: sftMessages(promptMessages(row, mask), mask(row.correction)) };
    return;
  }
  if (row.ups <= row.downs) return tally.skip(row.ups + row.downs === 0 ? 'no_thumbs' : 'not_liked');
  const unfit = unfitPositive(row, options);
  if (unfit) return tally.skip(unfit);
  const problem = unusable(row, row.completion_text);
  if (problem) return tally.skip(problem);
  tally.record('liked');
  yield { messages: sftMessages(promptMessages(row, mask), mask(row.completion_text)) };
}

/** Word n-grams of the scorers' canonical form: bigrams, or the words of a one-word text. */
function shingles(canonical: string): Set<string> {
  const words = canonical.split(' ').filter(Boolean);
  if (words.length < 2) return new Set(words);
  const out = new Set<string>();
  for (let i = 0; i + 1 < words.length; i++) out.add(`${words[i]} ${words[i + 1]}`);
  return out;
}

export function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let shared = 0;
  for (const s of a) if (b.has(s)) shared++;
  return shared / (a.size + b.size - shared);
}

/** Two prompts are near-identical at or above this word-bigram Jaccard similarity of their canonical forms. */
export const NEAR_IDENTICAL_JACCARD = 0.8;
/** Bounds the memory of one prompt group; a larger group is paired in slices. */
const MAX_GROUP = 10_000;

/**
 * Pairs DPO records from rated generations arriving ordered by (project,
 * system prompt, prompt key). A group is a run of rows of one project and one
 * system prompt whose conversations are equal in canonical form or
 * near-identical to the group's first one. In a group,
 * the i-th liked answer is paired with the i-th disliked one (each answer used
 * once, so a popular prompt does not dominate); an edited answer always makes
 * a pair (correction chosen, original rejected).
 */
export class DpoPairer {
  private group: RatedGeneration[] = [];
  private anchor:
    | { project: string; system: string; key: string; canonical: string; shingles: Set<string> }
    | undefined;
  private readonly options: BuildOptions;
  private readonly tally: ExportTally;
  constructor(options: BuildOptions, tally: ExportTally) {
    this.options = options;
    this.tally = tally;
  }

  *push(row: RatedGeneration): Generator<DpoRecord> {
    this.tally.generations++;
    if (!this.belongs(row) || this.group.length >= MAX_GROUP) yield* this.flush();
    if (!this.anchor) {
      const canonical = canonicalize(row.prompt_key).text;
      this.anchor = {
        project: row.project_id,
        system: row.system_key,
        key: row.prompt_key,
        canonical,
        shingles: shingles(canonical),
      };
    }
    this.group.push(row);
  }

  private belongs(row: RatedGeneration): boolean {
    const anchor = this.anchor;
    // The system prompt must match exactly: a long one shared by two different questions would make them look near-identical.
    if (!anchor || anchor.project !== row.project_id || anchor.system !== row.system_key) return false;
    if (anchor.key === row.prompt_key) return true;
    const canonical = canonicalize(row.prompt_key).text;
    return (
      canonical === anchor.canonical ||
      jaccard(anchor.shingles, shingles(canonical)) >= NEAR_IDENTICAL_JACCARD
    );
  }

  *flush(): Generator<DpoRecord> {
    const group = this.group;
    this.group = [];
    this.anchor = undefined;
    if (group.length === 0) return;
    const mask = textMasker(this.options);
    const liked: RatedGeneration[] = [];
    const disliked: RatedGeneration[] = [];
    for (const row of group) {
      const problem = unusable(row, row.completion_text, row.correction);
      if (problem) {
        this.tally.skip(problem);
        continue;
      }
      if (row.correction !== '') {
        if (sameAnswer(row.correction, row.completion_text)) {
          this.tally.skip('identical_answers');
        } else {
          this.tally.record('edit');
          yield {
            prompt: promptMessages(row, mask),
            chosen: assistant(mask(row.correction)),
            rejected: assistant(mask(row.completion_text)),
          };
        }
        continue;
      }
      if (row.ups > row.downs) {
        const unfit = unfitPositive(row, this.options);
        if (unfit) this.tally.skip(unfit);
        else liked.push(row);
      } else if (row.downs > row.ups) disliked.push(row);
      else this.tally.skip('tied_votes');
    }
    const pairs = Math.min(liked.length, disliked.length);
    for (let i = 0; i < pairs; i++) {
      const chosen = liked[i] as RatedGeneration;
      const rejected = disliked[i] as RatedGeneration;
      if (sameAnswer(chosen.completion_text, rejected.completion_text)) {
        this.tally.skip('identical_answers', 2);
        continue;
      }
      this.tally.record('thumbs_pair');
      yield {
        prompt: promptMessages(chosen, mask),
        chosen: assistant(mask(chosen.completion_text)),
        rejected: assistant(mask(rejected.completion_text)),
      };
    }
    this.tally.skip('unpaired', liked.length + disliked.length - 2 * pairs);
  }
}

function sameAnswer(a: string, b: string): boolean {
  return canonicalize(a).text === canonicalize(b).text;
}
