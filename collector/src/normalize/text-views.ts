import type { LlmSpan } from './llm-span.ts';

/**
 * The two plain-text views of a step that storage, search and scoring share,
 * so `llm_spans.prompt_text` is exactly the text the input scorers saw.
 */

/** The newest user turn: earlier turns were seen when they were new. */
export function latestUserText(span: LlmSpan): string {
  for (let i = span.inputMessages.length - 1; i >= 0; i--) {
    const message = span.inputMessages[i];
    if (message?.role === 'user' && message.content) return message.content;
  }
  return '';
}

/** What the model said; tool results are inputs to it, not its answer. */
export function answerText(span: LlmSpan): string {
  return span.outputMessages
    .filter((m) => m.role !== 'tool' && m.content)
    .map((m) => m.content)
    .join('\n');
}
