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
import type { StreamObserver } from '../stream-tap.ts';

export function messagesRequestAttributes(body: Obj): Attributes {
  const a: Attributes = {};
  const set = (key: string, v: unknown) => {
    const n = num(v);
    if (n !== undefined) a[key] = n;
  };
  set(A.ATTR_GEN_AI_REQUEST_MAX_TOKENS, body.max_tokens);
  set(A.ATTR_GEN_AI_REQUEST_TEMPERATURE, body.temperature);
  set(A.ATTR_GEN_AI_REQUEST_TOP_P, body.top_p);
  set(A.ATTR_GEN_AI_REQUEST_TOP_K, body.top_k);
  if (Array.isArray(body.stop_sequences)) {
    a[A.ATTR_GEN_AI_REQUEST_STOP_SEQUENCES] = body.stop_sequences.filter((s) => typeof s === 'string');
  }
  if (body.stream === true) a[A.ATTR_GEN_AI_REQUEST_STREAM] = true;
  return a;
}

export function systemInstructions(call: LlmCall, system: unknown): Part[] | undefined {
  if (typeof system === 'string') return [{ type: 'text', content: call.text(system) }];
  if (!Array.isArray(system)) return undefined;
  return system
    .filter((b): b is Obj => isObj(b) && typeof b.text === 'string')
    .map((b) => ({ type: 'text', content: call.text(b.text as string) }));
}

export function anthropicInputMessages(call: LlmCall, messages: unknown): Message[] {
  if (!Array.isArray(messages)) return [];
  const out: Message[] = [];
  for (const m of messages) {
    if (!isObj(m)) continue;
    const role = str(m.role) ?? 'user';
    const parts = blocksToParts(call, m.content);
    // Tool results travel in user turns; the conventions give them the tool role.
    const onlyResults = parts.length > 0 && parts.every((p) => p.type === 'tool_call_response');
    out.push({ role: onlyResults ? 'tool' : role, parts });
  }
  return out;
}

function blocksToParts(call: LlmCall, content: unknown): Part[] {
  if (typeof content === 'string') return [{ type: 'text', content: call.text(content) }];
  if (!Array.isArray(content)) return [];
  const parts: Part[] = [];
  for (const b of content) {
    if (!isObj(b)) continue;
    switch (b.type) {
      case 'text':
        if (typeof b.text === 'string') parts.push({ type: 'text', content: call.text(b.text) });
        break;
      case 'thinking':
        if (typeof b.thinking === 'string') parts.push({ type: 'reasoning', content: call.text(b.thinking) });
        break;
      case 'tool_use':
        parts.push({
          type: 'tool_call',
          id: str(b.id),
          name: str(b.name) ?? '',
          arguments: scrub(call, b.input),
        });
        break;
      case 'tool_result':
        parts.push({
          type: 'tool_call_response',
          id: str(b.tool_use_id),
          response: toolResult(call, b.content),
        });
        break;
      case 'image': {
        const src = isObj(b.source) ? b.source : {};
        if (src.type === 'url' && typeof src.url === 'string')
          parts.push({ type: 'uri', modality: 'image', uri: src.url });
        else parts.push({ type: 'blob', modality: 'image', mime_type: str(src.media_type) });
        break;
      }
      case 'document':
        parts.push({ type: 'blob', modality: 'file' });
        break;
      case 'search_result': {
        // A RAG tool's retrieved passage: its title and text are what the answer is grounded in.
        const texts = Array.isArray(b.content)
          ? b.content
              .filter((c): c is Obj => isObj(c) && typeof c.text === 'string')
              .map((c) => c.text as string)
          : [];
        const text = [str(b.title), ...texts].filter(Boolean).join('\n');
        if (text) parts.push({ type: 'text', content: call.text(text) });
        break;
      }
    }
  }
  return parts;
}

/**
 * A tool result: its text, or its blocks as parts when it holds more than
 * text. An image or document is named, not copied: its base64 data would
 * fill the span (and the PII masker would scan every byte of it).
 */
function toolResult(call: LlmCall, content: unknown): unknown {
  if (typeof content === 'string') return call.text(content);
  if (!Array.isArray(content)) return scrub(call, content);
  const texts = content
    .filter((c) => isObj(c) && typeof c.text === 'string')
    .map((c) => (c as Obj).text as string);
  if (texts.length === content.length) return call.text(texts.join('\n'));
  // A block of a kind not read as a part is kept as it came, through the policy: dropped, a
  // result's content would be missing from the span.
  return content.flatMap((b) => {
    const parts = blocksToParts(call, [b]);
    return parts.length > 0 ? parts : [scrub(call, b)];
  });
}

/**
 * Anthropic reports `input_tokens` net of cache reads and writes; the
 * conventions (and the cost math) want the total input.
 */
export function anthropicUsage(usage: unknown): TokenUsage | undefined {
  if (!isObj(usage)) return undefined;
  const fresh = num(usage.input_tokens);
  const read = num(usage.cache_read_input_tokens);
  const write = num(usage.cache_creation_input_tokens);
  const input =
    fresh === undefined && read === undefined && write === undefined
      ? undefined
      : (fresh ?? 0) + (read ?? 0) + (write ?? 0);
  return {
    inputTokens: input,
    outputTokens: num(usage.output_tokens),
    cacheReadTokens: read,
    cacheCreationTokens: write,
  };
}

export function recordMessage(call: LlmCall, message: unknown): unknown {
  if (!isObj(message)) {
    call.end();
    return message;
  }
  call.set(A.ATTR_GEN_AI_RESPONSE_ID, str(message.id));
  call.responseModel(message.model);
  const stop = str(message.stop_reason);
  if (stop) call.set(A.ATTR_GEN_AI_RESPONSE_FINISH_REASONS, [stop]);
  const usage = anthropicUsage(message.usage);
  if (usage) call.usage(usage);
  call.content(A.ATTR_GEN_AI_OUTPUT_MESSAGES, () => [
    {
      role: str(message.role) ?? 'assistant',
      parts: blocksToParts(call, message.content),
      finish_reason: stop ?? '',
    },
  ]);
  call.end();
  return message;
}

interface BlockAcc {
  type: string;
  text: string;
  id?: string;
  name?: string;
  json: string;
  input?: unknown;
}

/** Rebuilds the final message from stream events (message_start … message_stop). */
export function messageStreamObserver(call: LlmCall): StreamObserver {
  const capture = call.capture;
  const blocks = new Map<number, BlockAcc>();
  let id: string | undefined;
  let model: unknown;
  let stop: string | undefined;
  let startUsage: Obj = {};
  let deltaUsage: Obj = {};
  return {
    chunk(event) {
      call.firstChunk();
      if (!isObj(event)) return event;
      switch (event.type) {
        case 'message_start': {
          const m = isObj(event.message) ? event.message : {};
          id = str(m.id);
          model = m.model;
          if (isObj(m.usage)) startUsage = m.usage;
          break;
        }
        case 'content_block_start': {
          const b = isObj(event.content_block) ? event.content_block : {};
          blocks.set(num(event.index) ?? 0, {
            type: str(b.type) ?? 'text',
            text: capture && typeof b.text === 'string' ? b.text : '',
            id: str(b.id),
            name: str(b.name),
            json: '',
            input: b.input,
          });
          break;
        }
        case 'content_block_delta': {
          const b = blocks.get(num(event.index) ?? 0);
          const d = isObj(event.delta) ? event.delta : {};
          if (!b || !capture) break;
          if (typeof d.text === 'string') b.text += d.text;
          else if (typeof d.thinking === 'string') b.text += d.thinking;
          else if (typeof d.partial_json === 'string') b.json += d.partial_json;
          break;
        }
        case 'message_delta': {
          const d = isObj(event.delta) ? event.delta : {};
          if (typeof d.stop_reason === 'string') stop = d.stop_reason;
          if (isObj(event.usage)) deltaUsage = event.usage;
          break;
        }
      }
      return event;
    },
    done(aborted) {
      if (aborted) call.aborted(aborted.reason);
      call.set(A.ATTR_GEN_AI_RESPONSE_ID, id);
      call.responseModel(model);
      if (stop) call.set(A.ATTR_GEN_AI_RESPONSE_FINISH_REASONS, [stop]);
      // message_delta's usage is cumulative and may repeat the input counts; it wins where present.
      const usage = anthropicUsage({ ...startUsage, ...stripNulls(deltaUsage) });
      if (usage) call.usage(usage);
      call.content(A.ATTR_GEN_AI_OUTPUT_MESSAGES, () => {
        const parts: Part[] = [];
        for (const [, b] of [...blocks.entries()].sort((x, y) => x[0] - y[0])) {
          if (b.type === 'text' && b.text) parts.push({ type: 'text', content: call.text(b.text) });
          else if (b.type === 'thinking' && b.text)
            parts.push({ type: 'reasoning', content: call.text(b.text) });
          else if (b.type === 'tool_use') {
            const args = b.json ? parseArguments(b.json) : b.input;
            parts.push({ type: 'tool_call', id: b.id, name: b.name ?? '', arguments: scrub(call, args) });
          }
        }
        return [{ role: 'assistant', parts, finish_reason: stop ?? '' }];
      });
      call.end();
    },
    error(error) {
      call.fail(error);
    },
    unread: unreadEnd(call),
  };
}

function stripNulls(o: Obj): Obj {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));
}
