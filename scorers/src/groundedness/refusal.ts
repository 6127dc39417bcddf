import { isContent, sentences, tokenize } from './text.ts';

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

// A hedge often shares its sentence with an answer: "I can't confirm the date, but it opened in 1995."
// "but" is often written without its comma: "I can't confirm the date but it opened in 1875."
const CLAUSE_BREAK =
  /[,;:]\s*(?=(?:but|however|though|although|yet|pero|mais|aber|ma|mas)(?![\p{L}\p{N}]))|\s+(?=but\s)/iu;

// Sentences that assert nothing a context could support: thanks, apologies, offers of more help,
// pointers elsewhere ("Please contact support") and what declining would spare ("Generating fake
// reviews would mislead shoppers"), as refusals go on. Never with a figure in them.
const COURTESY = [
  /^(?:thanks?|thank you|sorry|apologies|good question|great question|hm+|well|hi|hello|hey|i apologi[sz]e|unfortunately|i hope (?:this|that) helps|hope (?:this|that) helps|sure|of course|certainly|ok(?:ay)?|lo siento|perd[oó]n|d[eé]sol[eé]|entschuldigung|es tut mir leid|mi dispiace|desculp[ea])(?![\p{L}\p{N}])/iu,
  /^(?:(?:but|and|however),?\s+)?(?:i can|i could|i['’]ll|i will|let me) (?:point|direct|refer|connect|transfer|forward) you(?![\p{L}\p{N}])/iu,
  /^(?:please|kindly|feel free|let me know|is there anything|anything else|if you (?:have|need|want|like|would like))(?![\p{L}\p{N}])/iu,
  /^(?:you (?:may|might|can|could|should)(?: want to| wish to)?|i(?:['’]d| would)? (?:recommend|suggest)|i recommend|i suggest|try|consider)(?![\p{L}\p{N}]).{0,80}(?<![\p{L}])(?:contact|reach|ask|check|consult|call|email|e-mail|visit|look|refer|search|get in touch)/iu,
];

// What declining would spare ("Generating fake reviews would mislead shoppers"): a courtesy
// only without a figure or a name, for "Acme might have been founded by John Smith" claims.
const SPARING = /(?<![\p{L}])(?:would|could|might)(?![\p{L}])/iu;

/**
 * How many content words of an answer's other sentences still make it an answer: a short
 * "Lo siento." or "Try the help center." does not, "Maria Lopez founded Acme." does.
 */
const CLAIM_WORDS = 4;

export interface RefusalReading {
  /** The answer only declines: no sentence besides its refusals and courtesies claims anything. */
  refusal: boolean;
  /** The answer declines at least part of the question. */
  hedged: boolean;
  /** The answer without its declining clauses: what is left to check against the context. */
  rest: string;
}

function refuses(clause: string): boolean {
  return PATTERNS.some((p) => p.test(clause));
}

function namesOrFigures(text: string): boolean {
  return tokenize(text).some((t) => t.number !== undefined || t.entity);
}

/** Content words, and whether a figure or a name is among them: what a context could contradict. */
function claimWeight(text: string): number {
  let words = 0;
  for (const t of tokenize(text)) {
    if (t.number !== undefined || t.entity) return CLAIM_WORDS;
    if (isContent(t)) words++;
  }
  return words;
}

/**
 * Reads an answer for refusals, sentence by sentence and clause by clause. A refusal anywhere
 * no longer makes the whole answer one: "The refund window is 90 days. I'm not sure about gift
 * cards." answers, and its first sentence is checked like any other; only an answer whose other
 * sentences are courtesies or too slight to check is a refusal, a knowledge-base gap signal.
 */
export function readRefusal(answer: string): RefusalReading {
  if (!refuses(answer)) return { refusal: false, hedged: false, rest: answer };
  const clauses: string[] = [];
  // The sentence of each clause: a refusal reaching over a sentence's end spares what follows.
  const sentenceOf: number[] = [];
  sentences(answer).forEach((s, n) => {
    for (const c of s.split(CLAUSE_BREAK))
      if (c.trim() !== '') {
        clauses.push(c.trim());
        sentenceOf.push(n);
      }
  });
  const declining = clauses.map(refuses);
  // A pattern may reach across a boundary: within a sentence ("I'm sorry, but I won't…") both
  // clauses decline; over a sentence's end ("No information. In the documents provided…") the
  // next sentence declines only if it claims nothing ("The context says refunds take 90 days"
  // stays a claim).
  if (!declining.includes(true))
    for (let i = 0; i + 1 < clauses.length; i++) {
      if (!refuses(`${clauses[i]} ${clauses[i + 1]}`)) continue;
      declining[i] = true;
      if (sentenceOf[i] === sentenceOf[i + 1] || claimWeight(clauses[i + 1] as string) < CLAIM_WORDS)
        declining[i + 1] = true;
    }
  const kept: string[] = [];
  let weight = 0;
  clauses.forEach((c, i) => {
    if (declining[i]) return;
    kept.push(c);
    // A question asks the user something; it claims nothing.
    if (c.endsWith('?')) return;
    if (!/\d/.test(c) && (COURTESY.some((p) => p.test(c)) || (SPARING.test(c) && !namesOrFigures(c)))) return;
    weight += claimWeight(c);
  });
  if (!declining.includes(true)) return { refusal: false, hedged: false, rest: answer };
  // One clause a line: a clause cut at ", but" has no full stop, and joined by a space it would
  // run into the next sentence as one claim that is nowhere in the answer (the guard could not
  // point at it, and would mask the whole answer).
  return { refusal: weight < CLAIM_WORDS, hedged: true, rest: kept.join('\n') };
}

export function isRefusal(answer: string): boolean {
  return readRefusal(answer).refusal;
}
