export const DEFAULT_MAX_TEXT_CHARS = 100_000;

/**
 * The first `maxChars` UTF-16 units, one fewer when the cut would split a
 * surrogate pair: half an emoji is not text ClickHouse will store, and one
 * such string would get its whole batch refused.
 */
export function headOf(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const code = text.charCodeAt(maxChars - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? maxChars - 1 : maxChars);
}

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
