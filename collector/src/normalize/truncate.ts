export const DEFAULT_MAX_TEXT_CHARS = 100_000;

/** Long text is cut with a visible marker so a reader knows something is missing. */
export function truncateText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  return `${text.slice(0, maxChars)}…[truncated ${text.length - maxChars} chars]`;
}
