/** Lower-cased text in a window before `start`, for context-word checks. */
export function before(text: string, start: number, width: number): string {
  return text.slice(Math.max(0, start - width), start).toLowerCase();
}

/** Lower-cased text in a window after `end`. */
export function after(text: string, end: number, width: number): string {
  return text.slice(end, end + width).toLowerCase();
}
