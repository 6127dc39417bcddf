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
import { copyNum, imagePart } from './chat.ts';

export function responsesRequestAttributes(body: Obj): Attributes {
  const a: Attributes = {};
  copyNum(a, A.ATTR_GEN_AI_REQUEST_MAX_TOKENS, body.max_output_tokens);
  copyNum(a, A.ATTR_GEN_AI_REQUEST_TEMPERATURE, body.temperature);
  copyNum(a, A.ATTR_GEN_AI_REQUEST_TOP_P, body.top_p);
  if (body.stream === true) a[A.ATTR_GEN_AI_REQUEST_STREAM] = true;
  if (typeof body.conversation === 'string') a[A.ATTR_GEN_AI_CONVERSATION_ID] = body.conversation;
  else if (isObj(body.conversation) && typeof body.conversation.id === 'string') {
    a[A.ATTR_GEN_AI_CONVERSATION_ID] = body.conversation.id;
  }
  return a;
}

export function responsesInputMessages(call: LlmCall, input: unknown): Message[] {
  if (typeof input === 'string')
    return [{ role: 'user', parts: [{ type: 'text', content: call.text(input) }] }];
  if (!Array.isArray(input)) return [];
  const out: Message[] = [];
  for (const item of input) {
    if (!isObj(item)) continue;
    if (item.type === 'function_call') {
      out.push({
        role: 'assistant',
        parts: [
          {
            type: 'tool_call',
            id: str(item.call_id),
            name: str(item.name) ?? '',
            arguments: scrub(call, parseArguments(item.arguments)),
          },
        ],
      });
    } else if (item.type === 'function_call_output') {
      // Output items (text, images, files) as parts: an image's data URL is not copied onto the span.
      const output =
        typeof item.output === 'string'
          ? call.text(item.output)
          : Array.isArray(item.output)
            ? itemContentParts(call, item.output)
            : scrub(call, item.output);
      out.push({
        role: 'tool',
        parts: [{ type: 'tool_call_response', id: str(item.call_id), response: output }],
      });
    } else if (typeof item.role === 'string') {
      out.push({ role: item.role, parts: itemContentParts(call, item.content) });
    }
  }
  return out;
}

function itemContentParts(call: LlmCall, content: unknown): Part[] {
  if (typeof content === 'string') return [{ type: 'text', content: call.text(content) }];
  if (!Array.isArray(content)) return [];
  const parts: Part[] = [];
  for (const c of content) {
    if (!isObj(c)) continue;
    if (typeof c.text === 'string') parts.push({ type: 'text', content: call.text(c.text) });
    else if (typeof c.refusal === 'string') parts.push({ type: 'text', content: call.text(c.refusal) });
    else if (c.type === 'input_image' && typeof c.image_url === 'string') parts.push(imagePart(c.image_url));
    else if (c.type === 'input_file') parts.push({ type: 'blob', modality: 'file' });
  }
  return parts;
}

export function responsesUsage(usage: unknown): TokenUsage | undefined {
  if (!isObj(usage)) return undefined;
  const input = isObj(usage.input_tokens_details) ? usage.input_tokens_details : {};
  const output = isObj(usage.output_tokens_details) ? usage.output_tokens_details : {};
  return {
    inputTokens: num(usage.input_tokens),
    outputTokens: num(usage.output_tokens),
    cacheReadTokens: num(input.cached_tokens),
    reasoningTokens: num(output.reasoning_tokens),
  };
}

/** Records a complete Response object and ends the span. */
export function recordResponse(call: LlmCall, response: unknown): unknown {
  if (!isObj(response)) {
    call.end();
    return response;
  }
  call.set(A.ATTR_GEN_AI_RESPONSE_ID, str(response.id));
  call.responseModel(response.model);
  const output = Array.isArray(response.output) ? response.output.filter(isObj) : [];
  const calledTool = output.some((o) => o.type === 'function_call');
  const incomplete = isObj(response.incomplete_details) ? str(response.incomplete_details.reason) : undefined;
  // A response still queued or in progress (a stream broken off before its terminal
  // event) has not finished: its status is no finish reason.
  const unfinished = response.status === 'in_progress' || response.status === 'queued';
  const finish =
    response.status === 'completed'
      ? calledTool
        ? 'tool_call'
        : 'stop'
      : unfinished
        ? ''
        : (incomplete ?? str(response.status) ?? '');
  if (finish) call.set(A.ATTR_GEN_AI_RESPONSE_FINISH_REASONS, [finish]);
  const usage = responsesUsage(response.usage);
  if (usage) call.usage(usage);
  call.content(A.ATTR_GEN_AI_OUTPUT_MESSAGES, () => {
    const parts: Part[] = [];
    for (const o of output) {
      if (o.type === 'message' && Array.isArray(o.content)) {
        for (const c of o.content) {
          if (!isObj(c)) continue;
          if (typeof c.text === 'string') parts.push({ type: 'text', content: call.text(c.text) });
          else if (typeof c.refusal === 'string') parts.push({ type: 'text', content: call.text(c.refusal) });
        }
      } else if (o.type === 'function_call') {
        parts.push({
          type: 'tool_call',
          id: str(o.call_id),
          name: str(o.name) ?? '',
          arguments: scrub(call, parseArguments(o.arguments)),
        });
      } else if (o.type === 'reasoning' && Array.isArray(o.summary)) {
        const text = o.summary.map((s) => (isObj(s) && typeof s.text === 'string' ? s.text : '')).join('\n');
        if (text) parts.push({ type: 'reasoning', content: call.text(text) });
      }
    }
    return [{ role: 'assistant', parts, finish_reason: finish }];
  });
  if (response.status === 'failed') {
    const err = isObj(response.error) ? response.error : {};
    call.fail({ name: str(err.code) ?? 'response_failed', message: str(err.message) ?? 'response failed' });
  }
  call.end();
  return response;
}

/** Streamed Responses carry the whole Response in their terminal event; record that. */
export function responsesStreamObserver(call: LlmCall): StreamObserver {
  let last: unknown;
  return {
    chunk(event) {
      call.firstChunk();
      if (isObj(event) && isObj(event.response)) {
        if (
          event.type === 'response.completed' ||
          event.type === 'response.incomplete' ||
          event.type === 'response.failed'
        ) {
          last = event.response;
        } else {
          last ??= event.response;
        }
      }
      return event;
    },
    done(aborted) {
      if (aborted) call.aborted(aborted.reason);
      if (last) recordResponse(call, last);
      else call.end();
    },
    error(error) {
      call.fail(error);
    },
    unread: unreadEnd(call),
  };
}
