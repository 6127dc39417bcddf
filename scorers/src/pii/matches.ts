/**
 * Every match of a global pattern, by `exec` on the pattern itself.
 * `String.prototype.matchAll` clones its regex on each call, which for the
 * large Unicode patterns here cost more than the matching.
 */
export function allMatches(pattern: RegExp, text: string): RegExpExecArray[] {
  if (!pattern.global) throw new Error(`allMatches needs a global pattern: ${pattern.source.slice(0, 40)}`);
  const out: RegExpExecArray[] = [];
  pattern.lastIndex = 0;
  let m = pattern.exec(text);
  while (m !== null) {
    out.push(m);
    if (m[0].length === 0) pattern.lastIndex++;
    m = pattern.exec(text);
  }
  pattern.lastIndex = 0;
  return out;
}

let digitText: string | undefined;
let digitAnswer = false;

/** Whether `text` has an ASCII digit; every detector of numbers asks about the same text in turn. */
export function hasDigit(text: string): boolean {
  if (text !== digitText) {
    digitText = text;
    digitAnswer = false;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 48 && c <= 57) {
        digitAnswer = true;
        break;
      }
    }
  }
  return digitAnswer;
}
