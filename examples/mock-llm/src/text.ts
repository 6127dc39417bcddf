/**
 * Deterministic text rules shared by every endpoint, so a test can predict
 * exactly what the mock answers and how many tokens it reports.
 */

/** One token per whitespace-separated word: easy to predict in a test. */
export function countTokens(text: string): number {
  return text.match(/\S+/g)?.length ?? 0;
}

/**
 * The answer to a question. When the prompt carries a `Context:` section (the
 * usual RAG prompt shape) the mock answers with its first sentence, so RAG
 * examples get a grounded answer; otherwise it echoes the question.
 */
export function answerFor(lastUserText: string, allPromptText: string): string {
  const context = /Context:\s*([\s\S]+)/i.exec(allPromptText)?.[1];
  if (context) {
    const firstSentence = /[^.!?\n]+[.!?]?/.exec(context.trim())?.[0]?.trim();
    if (firstSentence) return firstSentence;
  }
  const question = lastUserText.trim().replace(/\s+/g, ' ');
  return question ? `This is a mock answer to: ${question}` : 'This is a mock answer.';
}

export function toolResultAnswer(toolName: string, result: string): string {
  return `The ${toolName || 'tool'} tool returned: ${result.trim().replace(/\s+/g, ' ')}`;
}

/** Cuts an answer to at most `maxTokens` words; `truncated` tells the caller to report a length stop. */
export function limitTokens(
  text: string,
  maxTokens: number | undefined,
): { text: string; truncated: boolean } {
  if (maxTokens === undefined || !Number.isFinite(maxTokens) || maxTokens <= 0) {
    return { text, truncated: false };
  }
  const words = text.match(/\S+/g) ?? [];
  if (words.length <= maxTokens) return { text, truncated: false };
  return { text: words.slice(0, maxTokens).join(' '), truncated: true };
}

/** Splits text into stream chunks of one word each, keeping the spaces so the chunks concatenate back. */
export function streamPieces(text: string): string[] {
  return text.match(/\s*\S+/g) ?? (text ? [text] : []);
}

/** Models that "think" report reasoning tokens, like o-series and gpt-5 models do. */
export function isReasoningModel(model: string, reasoningRequested: boolean): boolean {
  return reasoningRequested || /^(o\d|gpt-5)/i.test(model) || /reason/i.test(model);
}

/** Echoes the request model with a dated suffix, the way the real API names snapshots. */
export function datedModel(model: string): string {
  if (/\d{4}-\d{2}-\d{2}$/.test(model) || model.startsWith('mock-')) return model;
  return `${model}-2025-06-01`;
}

let counter = 0;
/** Ids unique within the process, stable in shape (`chatcmpl-mock000001`). */
export function nextId(prefix: string): string {
  counter += 1;
  return `${prefix}mock${String(counter).padStart(6, '0')}`;
}
