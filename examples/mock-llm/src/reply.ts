/**
 * What the mock model "decides" for a conversation, independent of the wire
 * protocol: each endpoint turns its request into turns, asks for a reply, and
 * renders that reply in its own format.
 */

import { answerFor, countTokens, limitTokens, nextId, toolResultAnswer } from './text.ts';
import { argumentsFor, chooseTool, type ToolChoice, type ToolSpec } from './tools.ts';

export interface Turn {
  role: 'system' | 'user' | 'assistant' | 'tool';
  text: string;
  /** For a tool result: the name of the tool that produced it, when known. */
  toolName?: string;
}

export type Reply =
  | { kind: 'text'; text: string; truncated: boolean; outputTokens: number }
  | { kind: 'tool'; callId: string; name: string; arguments: string; outputTokens: number };

/**
 * A fixed answer for questions matching `question` (tested against the last
 * user message), so a demo or test can make the mock answer wrongly on cue:
 * a real model's mistakes are not reproducible, these are.
 */
export interface ScriptedAnswer {
  question: RegExp;
  answer: string;
}

export function decideReply(
  turns: Turn[],
  tools: ToolSpec[],
  choice: ToolChoice,
  maxTokens?: number,
  script: readonly ScriptedAnswer[] = [],
): Reply {
  const last = turns.at(-1);
  const lastUserText = last?.role === 'user' ? last.text : null;
  const tool = chooseTool(tools, choice, lastUserText);
  if (tool) {
    const args = JSON.stringify(argumentsFor(tool.parameters, lastUserText ?? ''));
    return {
      kind: 'tool',
      callId: nextId('call_'),
      name: tool.name,
      arguments: args,
      outputTokens: 1 + countTokens(args.replace(/[{}[\]":,]/g, ' ')),
    };
  }
  let answer: string;
  if (last?.role === 'tool') {
    answer = toolResultAnswer(last.toolName ?? '', last.text);
  } else {
    const userText = [...turns].reverse().find((t) => t.role === 'user')?.text ?? '';
    answer =
      script.find((s) => s.question.test(userText))?.answer ??
      answerFor(userText, turns.map((t) => t.text).join('\n'));
  }
  const limited = limitTokens(answer, maxTokens);
  return {
    kind: 'text',
    text: limited.text,
    truncated: limited.truncated,
    outputTokens: countTokens(limited.text),
  };
}

export function promptTokens(turns: Turn[]): number {
  return Math.max(
    1,
    turns.reduce((sum, t) => sum + countTokens(t.text), 0),
  );
}

/** Text of an OpenAI/Anthropic content value: a string or an array of typed parts. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => {
      if (typeof part === 'string') return part;
      if (typeof part !== 'object' || part === null) return '';
      const p = part as Record<string, unknown>;
      if (typeof p.text === 'string') return p.text;
      if (p.type === 'tool_result') return contentText(p.content);
      return '';
    })
    .filter((s) => s !== '')
    .join('\n');
}
