/**
 * The first `maxChars` UTF-16 units of `text`, one fewer when the cut would
 * split a surrogate pair. Half an emoji is no text: JSON carries it as a lone
 * `\ud83d` escape, which ClickHouse refuses, and with it the whole insert the
 * string was part of.
 */
export function headOf(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const code = text.charCodeAt(maxChars - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? maxChars - 1 : maxChars);
}
