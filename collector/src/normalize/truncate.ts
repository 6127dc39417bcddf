import { headOf } from '@oversight/scorers';

export const DEFAULT_MAX_TEXT_CHARS = 100_000;

/** Long text is cut with a visible marker so a reader knows something is missing. */
export function truncateText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const head = headOf(text, maxChars);
  return `${head}…[truncated ${text.length - head.length} chars]`;
}

/** Whether `text` carries `truncateText`'s marker: a reader (the preference export) must not take it as whole. */
export function wasTruncated(text: string): boolean {
  return CUT_MARK.test(text);
}
const CUT_MARK = /…\[truncated \d+ chars\]/;
