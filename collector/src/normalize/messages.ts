/**
 * One tolerant reader for the message shapes the conventions carry: OTel
 * GenAI `parts`, OpenAI chat (`content` + `tool_calls`), the Vercel AI SDK
 * (`tool-call` / `tool-result` parts) and Anthropic (`tool_use` /
 * `tool_result` blocks). Non-text parts are described, never dropped.
 */

import { asString, isRecord, parseJson } from './attributes.ts';
import type { Message, ToolCall } from './llm-span.ts';

function jsonText(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
}

function describe(part: Record<string, unknown>): string {
  const type = asString(part.type) || 'part';
  if (type === 'reasoning' || type === 'thinking') {
    const text = asString(part.content ?? part.text ?? part.thinking);
    return `[${type}, ${text.length} chars]`;
  }
  const details = [part.modality, part.mime_type ?? part.mimeType ?? part.mediaType]
    .map(asString)
    .filter(Boolean);
  return `[${[type, ...details].join(' ')}]`;
}

interface PartsResult {
  texts: string[];
  toolCalls: ToolCall[];
  toolCallId?: string;
}

function readParts(parts: unknown[], out: PartsResult): void {
  for (const raw of parts) {
    if (typeof raw === 'string') {
      out.texts.push(raw);
      continue;
    }
    if (!isRecord(raw)) continue;
    const type = asString(raw.type);
    switch (type) {
      case '':
      case 'text':
      case 'input_text':
      case 'output_text':
        out.texts.push(asString(raw.content ?? raw.text));
        break;
      case 'tool_call':
      case 'tool-call':
      case 'tool_use':
      case 'function_call':
        out.toolCalls.push({
          id: asString(raw.id ?? raw.toolCallId ?? raw.call_id),
          name: asString(raw.name ?? raw.toolName),
          arguments: jsonText(raw.arguments ?? raw.input ?? raw.args),
        });
        break;
      case 'tool_call_response':
      case 'tool-result':
      case 'tool_result':
      case 'function_call_output': {
        out.toolCallId = asString(raw.id ?? raw.toolCallId ?? raw.tool_use_id ?? raw.call_id);
        const result = raw.response ?? raw.output ?? raw.result ?? raw.content;
        // Vercel wraps results as { type: 'text' | 'json', value }.
        const value = isRecord(result) && 'value' in result ? result.value : result;
        out.texts.push(Array.isArray(value) ? textOfParts(value) : jsonText(value));
        break;
      }
      default:
        out.texts.push(describe(raw));
    }
  }
}

function textOfParts(parts: unknown[]): string {
  const out: PartsResult = { texts: [], toolCalls: [] };
  readParts(parts, out);
  return out.texts.filter(Boolean).join('\n');
}

function openAiToolCalls(value: unknown): ToolCall[] {
  const list = parseJson(value);
  if (!Array.isArray(list)) return [];
  return list.filter(isRecord).map((call) => {
    const fn = isRecord(call.function) ? call.function : call;
    return {
      id: asString(call.id ?? call.toolCallId),
      name: asString(fn.name ?? call.toolName),
      arguments: jsonText(fn.arguments ?? call.args ?? call.input),
    };
  });
}

export function toMessage(raw: unknown, fallbackRole = 'user'): Message | null {
  if (typeof raw === 'string') return { role: fallbackRole, content: raw };
  if (!isRecord(raw)) return null;
  const out: PartsResult = { texts: [], toolCalls: [] };
  if (Array.isArray(raw.parts)) readParts(raw.parts, out);
  const content = parseJson(raw.content);
  if (Array.isArray(content)) readParts(content, out);
  else if (content !== undefined && content !== null) out.texts.push(asString(content));
  out.toolCalls.push(...openAiToolCalls(raw.tool_calls ?? raw.toolCalls));
  const message: Message = {
    role: asString(raw.role) || fallbackRole,
    content: out.texts.filter(Boolean).join('\n'),
  };
  if (out.toolCalls.length > 0) message.toolCalls = out.toolCalls;
  const toolCallId = asString(raw.tool_call_id ?? raw.toolCallId ?? raw.id) || out.toolCallId;
  if (message.role === 'tool' && toolCallId) message.toolCallId = toolCallId;
  else if (out.toolCallId) message.toolCallId = out.toolCallId;
  const finish = asString(raw.finish_reason ?? raw.finishReason);
  if (finish) message.finishReason = finish;
  return message;
}

/** A JSON messages attribute (array, or one message) as messages. */
export function parseMessages(value: unknown, fallbackRole = 'user'): Message[] {
  const parsed = parseJson(value);
  if (parsed === undefined || parsed === null || parsed === '') return [];
  const list = Array.isArray(parsed) ? parsed : [parsed];
  return list.map((m) => toMessage(m, fallbackRole)).filter((m): m is Message => m !== null);
}

/** `gen_ai.system_instructions`: a JSON array of parts, or plain text. */
export function parseInstructions(value: unknown): string {
  const parsed = parseJson(value);
  if (Array.isArray(parsed)) return textOfParts(parsed);
  if (isRecord(parsed)) return textOfParts([parsed]);
  return asString(parsed);
}
