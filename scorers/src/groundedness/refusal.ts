/**
 * Answers that decline or say the context lacks the answer. They are not
 * hallucinations: they are knowledge-base gap signals, so the groundedness
 * scorer reports them apart instead of scoring their unsupported words.
 */
const PATTERNS: readonly RegExp[] = [
  /\bI (?:do not|don['’]t|didn['’]t|cannot|can['’]t|could ?not|couldn['’]t) (?:know|find|see|say|tell|answer|help|determine|locate|provide|confirm)\b/i,
  /\bI['’]?m (?:not sure|unable|afraid I|sorry,? (?:but )?I)/i,
  /\bI am (?:not sure|unable|afraid I|sorry,? (?:but )?I)/i,
  /\b(?:no|not enough|insufficient) (?:information|data|details|mention|context)\b.{0,60}\b(?:provided|available|given|context|documents?|sources?)\b/i,
  /\b(?:the |this |provided |given )(?:context|documents?|sources?|information|passages?|text)\b.{0,40}\b(?:does not|doesn['’]t|do not|don['’]t|did not) (?:contain|mention|say|include|specify|provide|state|cover)\b/i,
  /\b(?:not|isn['’]t|is not) (?:mentioned|specified|stated|covered|available|provided) in the (?:context|documents?|sources?|text|information)\b/i,
  /\bunable to (?:find|answer|determine|locate)\b/i,
  /\bI have no (?:information|knowledge|data)\b/i,
  /^\s*(?:unknown|n\/a|no answer|none found)\.?\s*$/i,
];

export function isRefusal(answer: string): boolean {
  // Long answers that merely mention a gap somewhere still assert things: only short ones count.
  if (answer.length > 600) return PATTERNS.some((p) => p.test(answer.slice(0, 200)));
  return PATTERNS.some((p) => p.test(answer));
}
