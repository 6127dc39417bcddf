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

interface ToolResult {
  id: string;
  text: string;
}

interface PartsResult {
  texts: string[];
  toolCalls: ToolCall[];
  toolResults: ToolResult[];
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
      // A refusal is the model's answer, in words; a placeholder would hide it from scoring.
      case 'refusal':
        out.texts.push(asString(raw.content ?? raw.refusal ?? raw.text));
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
        const result = raw.response ?? raw.output ?? raw.result ?? raw.content;
        // Vercel wraps results as { type: 'text' | 'json', value }.
        const value = isRecord(result) && 'value' in result ? result.value : result;
        out.toolResults.push({
          id: asString(raw.id ?? raw.toolCallId ?? raw.tool_use_id ?? raw.call_id),
          text: Array.isArray(value) ? textOfParts(value) : jsonText(value),
        });
        break;
      }
      default:
        out.texts.push(describe(raw));
    }
  }
}

function textOfParts(parts: unknown[]): string {
  const out: PartsResult = { texts: [], toolCalls: [], toolResults: [] };
  readParts(parts, out);
  return [...out.texts, ...out.toolResults.map((r) => r.text)].filter(Boolean).join('\n');
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

function readMessage(raw: Record<string, unknown>): PartsResult {
  const out: PartsResult = { texts: [], toolCalls: [], toolResults: [] };
  if (Array.isArray(raw.parts)) readParts(raw.parts, out);
  const content = parseJson(raw.content);
  if (Array.isArray(content)) readParts(content, out);
  else if (content !== undefined && content !== null) out.texts.push(asString(content));
  for (const call of openAiToolCalls(raw.tool_calls ?? raw.toolCalls)) out.toolCalls.push(call);
  return out;
}

function joined(texts: string[]): string {
  return texts.filter(Boolean).join('\n');
}

/**
 * One raw message as canonical messages. Tool results an emitter put inside
 * an assistant message (the AI SDK's agent output) or a user message
 * (Anthropic `tool_result` blocks) become `tool` messages of their own, so
 * they are never read as what the model said or what the user asked.
 */
export function toMessages(raw: unknown, fallbackRole = 'user'): Message[] {
  if (typeof raw === 'string') return [{ role: fallbackRole, content: raw }];
  if (!isRecord(raw)) return [];
  const out = readMessage(raw);
  const role = asString(raw.role) || fallbackRole;
  const finish = asString(raw.finish_reason ?? raw.finishReason);
  if (role === 'tool') {
    const message: Message = { role, content: joined([...out.texts, ...out.toolResults.map((r) => r.text)]) };
    const toolCallId = asString(raw.tool_call_id ?? raw.toolCallId ?? raw.id) || out.toolResults[0]?.id || '';
    if (toolCallId) message.toolCallId = toolCallId;
    if (out.toolCalls.length > 0) message.toolCalls = out.toolCalls;
    if (finish) message.finishReason = finish;
    return [message];
  }
  const main: Message = { role, content: joined(out.texts) };
  if (out.toolCalls.length > 0) main.toolCalls = out.toolCalls;
  if (finish) main.finishReason = finish;
  const results = out.toolResults.map(
    (r): Message =>
      r.id ? { role: 'tool', content: r.text, toolCallId: r.id } : { role: 'tool', content: r.text },
  );
  const keepMain =
    results.length === 0 || main.content !== '' || main.toolCalls !== undefined || finish !== '';
  if (!keepMain) return results;
  // Results answer calls made before them: after the assistant's calls, before a user's new words.
  return role === 'assistant' ? [main, ...results] : [...results, main];
}

/** One raw message as one canonical message, tool results folded into its content. */
export function toMessage(raw: unknown, fallbackRole = 'user'): Message | null {
  if (typeof raw === 'string') return { role: fallbackRole, content: raw };
  if (!isRecord(raw)) return null;
  const out = readMessage(raw);
  const message: Message = {
    role: asString(raw.role) || fallbackRole,
    content: joined([...out.texts, ...out.toolResults.map((r) => r.text)]),
  };
  if (out.toolCalls.length > 0) message.toolCalls = out.toolCalls;
  const toolCallId = asString(raw.tool_call_id ?? raw.toolCallId ?? raw.id) || out.toolResults[0]?.id || '';
  if (message.role === 'tool' && toolCallId) message.toolCallId = toolCallId;
  else if (out.toolResults[0]?.id) message.toolCallId = out.toolResults[0].id;
  const finish = asString(raw.finish_reason ?? raw.finishReason);
  if (finish) message.finishReason = finish;
  return message;
}

/** A JSON messages attribute (array, or one message) as messages. */
export function parseMessages(value: unknown, fallbackRole = 'user'): Message[] {
  const parsed = parseJson(value);
  if (parsed === undefined || parsed === null || parsed === '') return [];
  const list = Array.isArray(parsed) ? parsed : [parsed];
  return list.flatMap((m) => toMessages(m, fallbackRole));
}

/** `gen_ai.system_instructions`: a JSON array of parts, or plain text. */
export function parseInstructions(value: unknown): string {
  const parsed = parseJson(value);
  if (Array.isArray(parsed)) return textOfParts(parsed);
  if (isRecord(parsed)) return textOfParts([parsed]);
  return asString(parsed);
}
