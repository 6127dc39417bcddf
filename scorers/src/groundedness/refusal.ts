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
  // The same in other languages an app may answer in, as strict as the English: "I don't know"
  // only where the sentence ends there ("No sé si…" goes on to answer), "no information" only
  // beside a word for the sources ("Wir speichern keine Daten" states a policy). Word edges by
  // Unicode letters: `\b` takes "é" for a non-word character.
  // Spanish, Portuguese, French, German, Italian:
  /(?<![\p{L}\p{N}])(?:no (?:lo )?s[eé]|n[aã]o sei|je ne (?:le )?sais pas|ich wei(?:ß|ss) (?:es |das )?nicht|non (?:lo )?so)(?=\s*(?:[.!]|$))/iu,
  /(?<![\p{L}\p{N}])(?:no (?:puedo|pude) (?:responder|encontrar|determinar)|n[aã]o (?:posso|consigo) (?:responder|encontrar|determinar)|je ne (?:peux|suis pas en mesure de) (?:pas )?(?:r[eé]pondre|trouver|d[eé]terminer)|ich kann (?:das |diese frage )?nicht (?:beantworten|finden)|non (?:posso|riesco a) (?:rispondere|trovare))(?![\p{L}\p{N}])/iu,
  /(?<![\p{L}\p{N}])(?:no (?:hay|tengo) (?:suficiente )?informaci[oó]n|n[aã]o (?:h[aá]|tenho) informa[cç](?:[aã]o|[oõ]es)|(?:aucune|pas d['’]|pas assez d['’])informations?|keine (?:informationen|angaben)|nessuna informazione)(?![\p{L}\p{N}]).{0,60}(?<![\p{L}\p{N}])(?:contexto|documentos?|fuentes?|fontes?|contexte|sources?|kontext|dokument(?:e|en)?|quellen?|contesto|documenti|fonti)(?![\p{L}\p{N}])/iu,
  /(?<![\p{L}\p{N}])(?:no se (?:menciona|especifica)|n[aã]o (?:é|est[aá]) (?:mencionad[oa]|especificad[oa])|n['’]est pas (?:mentionn[eé]e?|pr[eé]cis[eé]e?)|wird nicht (?:erw[aä]hnt|genannt|angegeben)|non (?:è|viene) (?:menzionat[oa]|specificat[oa]))(?![\p{L}\p{N}])/iu,
  // Chinese, Japanese:
  /我不(?:知道|清楚|确定)|(?:无法|不能|没法)(?:回答|找到|确定)|没有(?:找到)?(?:相关|足够|任何)的?(?:信息|资料|记录)|(?:上下文|文档|资料|材料)中?(?:没有|未)(?:提及|提到|说明|包含)/,
  /わかりません|分かりません|答えられません|お答えできません|(?:情報|記載)が(?:ありません|見つかりません)|記載されていません/,
];

export function isRefusal(answer: string): boolean {
  // Long answers that merely mention a gap somewhere still assert things: only short ones count.
  if (answer.length > 600) return PATTERNS.some((p) => p.test(answer.slice(0, 200)));
  return PATTERNS.some((p) => p.test(answer));
}
