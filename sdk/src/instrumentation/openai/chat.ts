import type { Attributes } from '@opentelemetry/api';
import * as A from '@oversight/conventions/attributes';
import type { TokenUsage } from '../../pricing.ts';
import {
  isObj,
  type LlmCall,
  type Message,
  num,
  type Obj,
  type Part,
  parseArguments,
  scrub,
  str,
  unreadEnd,
} from '../llm-span.ts';
import { DROP, type StreamObserver } from '../stream-tap.ts';

/** Request parameters of a chat completion as GenAI attributes. */
export function chatRequestAttributes(body: Obj): Attributes {
  const a: Attributes = {};
  const maxTokens = num(body.max_completion_tokens) ?? num(body.max_tokens);
  if (maxTokens !== undefined) a[A.ATTR_GEN_AI_REQUEST_MAX_TOKENS] = maxTokens;
  copyNum(a, A.ATTR_GEN_AI_REQUEST_TEMPERATURE, body.temperature);
  copyNum(a, A.ATTR_GEN_AI_REQUEST_TOP_P, body.top_p);
  copyNum(a, A.ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY, body.frequency_penalty);
  copyNum(a, A.ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY, body.presence_penalty);
  copyNum(a, A.ATTR_GEN_AI_REQUEST_SEED, body.seed);
  const n = num(body.n);
  if (n !== undefined && n !== 1) a[A.ATTR_GEN_AI_REQUEST_CHOICE_COUNT] = n;
  if (typeof body.stop === 'string') a[A.ATTR_GEN_AI_REQUEST_STOP_SEQUENCES] = [body.stop];
  else if (Array.isArray(body.stop))
    a[A.ATTR_GEN_AI_REQUEST_STOP_SEQUENCES] = body.stop.filter((s) => typeof s === 'string');
  if (body.stream === true) a[A.ATTR_GEN_AI_REQUEST_STREAM] = true;
  const format = isObj(body.response_format) ? str(body.response_format.type) : undefined;
  if (format) a[A.ATTR_GEN_AI_OUTPUT_TYPE] = format === 'text' ? 'text' : 'json';
  return a;
}

export function copyNum(a: Attributes, key: string, value: unknown): void {
  const n = num(value);
  if (n !== undefined) a[key] = n;
}

/** Chat messages in the conventions' parts format, text passed through the content policy. */
export function chatInputMessages(call: LlmCall, messages: unknown): Message[] {
  if (!Array.isArray(messages)) return [];
  const out: Message[] = [];
  for (const m of messages) {
    if (!isObj(m)) continue;
    const role = str(m.role) ?? 'user';
    const parts: Part[] = [];
    if (role === 'tool') {
      parts.push({
        type: 'tool_call_response',
        id: str(m.tool_call_id),
        response: contentText(call, m.content),
      });
    } else {
      contentParts(call, m.content, parts);
      if (Array.isArray(m.tool_calls)) {
        for (const tc of m.tool_calls) if (isObj(tc)) parts.push(toolCallPart(call, tc));
      }
    }
    out.push({ role, parts });
  }
  return out;
}

/**
 * A text completion's prompt as the user's message: one text part per prompt
 * (the API takes a list). Prompts given as token ids have no text to show.
 */
export function promptMessages(call: LlmCall, prompt: unknown): Message[] {
  const prompts = Array.isArray(prompt) ? prompt : [prompt];
  const parts: Part[] = [];
  for (const p of prompts) if (typeof p === 'string') parts.push({ type: 'text', content: call.text(p) });
  return parts.length > 0 ? [{ role: 'user', parts }] : [];
}

function contentParts(call: LlmCall, content: unknown, parts: Part[]): void {
  if (typeof content === 'string') {
    parts.push({ type: 'text', content: call.text(content) });
    return;
  }
  if (!Array.isArray(content)) return;
  for (const c of content) {
    if (!isObj(c)) continue;
    if (typeof c.text === 'string') parts.push({ type: 'text', content: call.text(c.text) });
    else if (typeof c.refusal === 'string') parts.push({ type: 'text', content: call.text(c.refusal) });
    else if (c.type === 'image_url' && isObj(c.image_url) && typeof c.image_url.url === 'string') {
      parts.push(imagePart(c.image_url.url));
    } else if (c.type === 'input_audio') parts.push({ type: 'blob', modality: 'audio' });
  }
}

export function imagePart(url: string): Part {
  // Inline data URLs can be megabytes: keep only their type.
  if (url.startsWith('data:'))
    return { type: 'blob', modality: 'image', mime_type: url.slice(5, url.indexOf(';')) };
  return { type: 'uri', modality: 'image', uri: url };
}

function contentText(call: LlmCall, content: unknown): string {
  if (typeof content === 'string') return call.text(content);
  if (Array.isArray(content)) {
    return call.text(
      content
        .map((c) => (isObj(c) && typeof c.text === 'string' ? c.text : ''))
        .filter(Boolean)
        .join('\n'),
    );
  }
  return '';
}

function toolCallPart(call: LlmCall, tc: Obj): Part {
  const fn = isObj(tc.function) ? tc.function : {};
  return {
    type: 'tool_call',
    id: str(tc.id),
    name: str(fn.name) ?? '',
    arguments: scrub(call, parseArguments(fn.arguments)),
  };
}

export function toolDefinitions(tools: unknown): unknown[] | undefined {
  if (!Array.isArray(tools) || tools.length === 0) return undefined;
  return tools.map((t) => {
    if (!isObj(t)) return t;
    // Chat Completions nests the function; the Responses API does not.
    const fn = isObj(t.function) ? t.function : t;
    return {
      type: str(t.type) ?? 'function',
      name: fn.name,
      description: fn.description,
      parameters: fn.parameters,
    };
  });
}

export function chatUsage(usage: unknown): TokenUsage | undefined {
  if (!isObj(usage)) return undefined;
  const prompt = isObj(usage.prompt_tokens_details) ? usage.prompt_tokens_details : {};
  const completion = isObj(usage.completion_tokens_details) ? usage.completion_tokens_details : {};
  return {
    inputTokens: num(usage.prompt_tokens),
    outputTokens: num(usage.completion_tokens),
    cacheReadTokens: num(prompt.cached_tokens),
    reasoningTokens: num(completion.reasoning_tokens),
  };
}

/** Records a (non-streamed) chat or text completion on the span and ends it. */
export function recordChatCompletion(call: LlmCall, result: unknown): unknown {
  if (!isObj(result)) {
    call.end();
    return result;
  }
  const choices = Array.isArray(result.choices) ? result.choices : [];
  const a: Attributes = {};
  if (typeof result.id === 'string') a[A.ATTR_GEN_AI_RESPONSE_ID] = result.id;
  call.responseModel(result.model, a);
  const finishReasons = choices.map((c) => (isObj(c) ? str(c.finish_reason) : undefined) ?? '');
  setFinishReasons(a, finishReasons);
  const usage = chatUsage(result.usage);
  if (usage) call.usageAttributes(usage, a);
  call.contentInto(a, A.ATTR_GEN_AI_OUTPUT_MESSAGES, () => chatOutputMessages(call, choices));
  call.setAll(a);
  call.end();
  return result;
}

function chatOutputMessages(call: LlmCall, choices: unknown[]): Message[] {
  const out: Message[] = [];
  for (const c of choices) {
    if (!isObj(c)) continue;
    const m = isObj(c.message) ? c.message : {};
    const parts: Part[] = [];
    // A text completion's choice holds its text itself.
    if (typeof c.text === 'string') parts.push({ type: 'text', content: call.text(c.text) });
    if (typeof m.content === 'string') parts.push({ type: 'text', content: call.text(m.content) });
    if (typeof m.refusal === 'string') parts.push({ type: 'text', content: call.text(m.refusal) });
    if (Array.isArray(m.tool_calls))
      for (const tc of m.tool_calls) if (isObj(tc)) parts.push(toolCallPart(call, tc));
    out.push({ role: str(m.role) ?? 'assistant', parts, finish_reason: str(c.finish_reason) ?? '' });
  }
  return out;
}

interface ChoiceAcc {
  text: string;
  refusal: string;
  finish: string;
  tools: Map<number, { id?: string; name: string; args: string }>;
}

/**
 * Accumulates streamed chunks into the same attributes a plain completion
 * gets. When the SDK added `stream_options.include_usage` itself, it hides the
 * extra usage-only chunk and the `usage: null` fields from the app.
 */
export function chatStreamObserver(call: LlmCall, injectedUsage: boolean): StreamObserver {
  const choices = new Map<number, ChoiceAcc>();
  let usage: TokenUsage | undefined;
  let id: string | undefined;
  let model: unknown;
  let first = true;
  const capture = call.capture;
  return {
    chunk(value) {
      if (first) {
        call.firstChunk();
        first = false;
      }
      if (!isObj(value)) return value;
      // Azure opens a stream with its prompt filter results, id and model empty: later chunks name them.
      id ||= str(value.id);
      model ||= value.model;
      const u = value.usage;
      if (isObj(u)) usage = chatUsage(u);
      const list = value.choices;
      const n = Array.isArray(list) ? list.length : 0;
      for (let k = 0; k < n; k++) {
        const ch = (list as unknown[])[k];
        if (!isObj(ch)) continue;
        const index = num(ch.index) ?? 0;
        let c = choices.get(index);
        if (!c) {
          c = emptyChoice();
          choices.set(index, c);
        }
        if (typeof ch.finish_reason === 'string') c.finish = ch.finish_reason;
        // A text completion's chunk carries its text on the choice, not in a delta.
        if (capture && typeof ch.text === 'string') c.text += ch.text;
        const d = ch.delta;
        if (!isObj(d)) continue;
        if (capture) {
          if (typeof d.content === 'string') c.text += d.content;
          if (typeof d.refusal === 'string') c.refusal += d.refusal;
        }
        if (Array.isArray(d.tool_calls)) {
          for (const tc of d.tool_calls) {
            if (!isObj(tc)) continue;
            const i = num(tc.index) ?? 0;
            const fn = isObj(tc.function) ? tc.function : {};
            const t = c.tools.get(i) ?? { name: '', args: '' };
            if (typeof tc.id === 'string') t.id = tc.id;
            // Replaced, as the openai package's own accumulator does: OpenAI sends the name
            // once, but compatible servers repeat it in every delta of the call.
            if (typeof fn.name === 'string' && fn.name) t.name = fn.name;
            if (capture && typeof fn.arguments === 'string') t.args += fn.arguments;
            c.tools.set(i, t);
          }
        }
      }
      if (injectedUsage) {
        if (n === 0 && isObj(u)) return DROP;
        // The app did not ask for usage: hide the `usage: null` the option adds to every chunk.
        // A copy without the key (deleting it would turn the object slow for the app).
        if (u === null && 'usage' in value) {
          const { usage: _omit, ...rest } = value;
          return rest;
        }
      }
      return value;
    },
    done(aborted) {
      if (aborted) call.aborted(aborted.reason);
      const a: Attributes = {};
      if (id) a[A.ATTR_GEN_AI_RESPONSE_ID] = id;
      call.responseModel(model, a);
      const sorted = byIndex(choices);
      setFinishReasons(
        a,
        sorted.map((c) => c.finish),
      );
      if (usage) call.usageAttributes(usage, a);
      call.contentInto(a, A.ATTR_GEN_AI_OUTPUT_MESSAGES, () => streamedOutputMessages(call, sorted));
      call.setAll(a);
      call.end();
    },
    error(error) {
      call.fail(error);
    },
    unread: unreadEnd(call),
  };
}

/**
 * One finish reason per choice, in choice order, as the conventions ask: a
 * choice without one (a stream broken off before it finished, a compatible
 * server's null) keeps its place, empty, so the others stay at their index.
 * None at all (a stream broken off early) records none.
 */
function setFinishReasons(a: Attributes, reasons: string[]): void {
  if (reasons.some((r) => r !== '')) a[A.ATTR_GEN_AI_RESPONSE_FINISH_REASONS] = reasons;
}

/** The API's cap on `n`: an index past it is a server's bug, not a place to fill up to. */
const MAX_CHOICES = 128;

/** Streamed choices by index, a choice that sent nothing yet kept in its place empty. */
function byIndex(choices: Map<number, ChoiceAcc>): ChoiceAcc[] {
  const indices = [...choices.keys()].sort((x, y) => x - y);
  const fillable = indices.every((i) => Number.isInteger(i) && i >= 0 && i < MAX_CHOICES);
  if (!fillable) return indices.map((i) => choices.get(i) as ChoiceAcc);
  const last = indices[indices.length - 1] ?? -1;
  return Array.from({ length: last + 1 }, (_, i) => choices.get(i) ?? emptyChoice());
}

function emptyChoice(): ChoiceAcc {
  return { text: '', refusal: '', finish: '', tools: new Map() };
}

function streamedOutputMessages(call: LlmCall, choices: ChoiceAcc[]): Message[] {
  return choices.map((c) => {
    const parts: Part[] = [];
    if (c.text) parts.push({ type: 'text', content: call.text(c.text) });
    if (c.refusal) parts.push({ type: 'text', content: call.text(c.refusal) });
    const tools =
      c.tools.size > 1 ? [...c.tools.entries()].sort((x, y) => x[0] - y[0]) : [...c.tools.entries()];
    for (const [, t] of tools) {
      parts.push({
        type: 'tool_call',
        id: t.id,
        name: t.name,
        arguments: scrub(call, parseArguments(t.args)),
      });
    }
    return { role: 'assistant', parts, finish_reason: c.finish };
  });
}
