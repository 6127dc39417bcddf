/**
 * LangChain messages and results in the GenAI conventions' message JSON
 * (`gen_ai.input.messages` / `gen_ai.output.messages`): `{ role, parts }`
 * with text, tool_call and tool_call_response parts. Duck-typed so it works
 * with any @langchain/core version and never throws on odd content.
 */
import { parseArguments } from '../llm-span.ts';

export type Part =
  | { type: 'text'; content: string }
  | { type: 'tool_call'; id?: string; name: string; arguments?: unknown }
  | { type: 'tool_call_response'; id?: string; response: unknown };

export interface GenAiMessage {
  role: string;
  parts: Part[];
  finish_reason?: string;
}

type Loose = Record<string, unknown>;

function rec(value: unknown): Loose | undefined {
  return typeof value === 'object' && value !== null ? (value as Loose) : undefined;
}

const ROLE_BY_TYPE: Record<string, string> = {
  human: 'user',
  user: 'user',
  ai: 'assistant',
  assistant: 'assistant',
  system: 'system',
  developer: 'system',
  tool: 'tool',
  function: 'tool',
  generic: 'user',
};

function messageType(message: Loose): string {
  const getType = message._getType ?? message.getType;
  if (typeof getType === 'function') {
    try {
      const t = getType.call(message);
      if (typeof t === 'string') return t;
    } catch {
      // Serialized messages keep the method but lose its class state; the fields below still say it.
    }
  }
  if (typeof message.type === 'string') return message.type;
  if (typeof message.role === 'string') return message.role;
  return 'human';
}

/** Text of a LangChain content value: a string, or an array of content blocks. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const texts: string[] = [];
  for (const block of content) {
    if (typeof block === 'string') texts.push(block);
    else {
      const b = rec(block);
      if (b && typeof b.text === 'string') texts.push(b.text);
    }
  }
  return texts.join('\n');
}

export function toGenAiMessage(message: unknown): GenAiMessage {
  const m = rec(message);
  if (!m) return { role: 'user', parts: [{ type: 'text', content: String(message) }] };
  const role = ROLE_BY_TYPE[messageType(m)] ?? 'user';
  const text = contentText(m.content);
  if (role === 'tool') {
    const part: Part = { type: 'tool_call_response', response: text };
    if (typeof m.tool_call_id === 'string') part.id = m.tool_call_id;
    return { role, parts: [part] };
  }
  const parts: Part[] = [];
  if (text !== '') parts.push({ type: 'text', content: text });
  if (Array.isArray(m.tool_calls)) {
    for (const call of m.tool_calls) {
      const c = rec(call);
      if (!c || typeof c.name !== 'string') continue;
      const part: Part = { type: 'tool_call', name: c.name, arguments: parseArguments(c.args) };
      if (typeof c.id === 'string') part.id = c.id;
      parts.push(part);
    }
  }
  return { role, parts };
}

/** Output message of one generation, with the finish reason when the provider gave one. */
export function generationMessage(generation: unknown): GenAiMessage | undefined {
  const g = rec(generation);
  if (!g) return undefined;
  const msg = g.message !== undefined ? toGenAiMessage(g.message) : undefined;
  const out: GenAiMessage = msg ?? {
    role: 'assistant',
    parts: typeof g.text === 'string' ? [{ type: 'text', content: g.text }] : [],
  };
  if (msg) out.role = 'assistant';
  const reason = finishReason(g);
  if (reason) out.finish_reason = reason;
  return out;
}

function finishReason(g: Loose): string | undefined {
  const info = rec(g.generationInfo);
  const meta = rec(rec(g.message)?.response_metadata);
  const reason = info?.finish_reason ?? meta?.finish_reason ?? meta?.stop_reason;
  return typeof reason === 'string' ? reason : undefined;
}
