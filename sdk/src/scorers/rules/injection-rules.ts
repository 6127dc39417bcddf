/**
 * Phrases of instructions that try to take over a model: override prior
 * instructions, switch persona or task, extract the system prompt. English,
 * German, French and Spanish, on the normal form (lower case, no apostrophes).
 */
import type { Rule } from './rule-set.ts';

const PREVIOUS =
  '(?:previous|prior|above|earlier|preceding|former|original|initial|old|foregoing|given|system|safety|existing|current)';
const INSTRUCTIONS =
  '(?:instructions?|prompts?|rules|directions|directives|commands|orders|guidelines|context|tasks?|assignments?|constraints|programming|guardrails|restrictions|conversation)';

export const overrideRules: Rule[] = [
  {
    id: 'ignore_instructions',
    group: 'override',
    pattern: `(?:ignore|ignoring|disregard|forget|forgetting|override|bypass|neglect|drop|abandon)(?: (?:all|any|the|your|my|these|those|every|of|completely|entirely|now|about|everything))* (?:${PREVIOUS} )*${INSTRUCTIONS}`,
  },
  {
    id: 'forget_everything',
    group: 'override',
    pattern:
      '(?:ignore|forget|disregard)(?: about)? (?:everything|all(?: of)? that|all that|what i said|what you were told|the above|all the above|all above|all preceding|all previous)',
  },
  {
    id: 'ignore_instructions_de',
    group: 'override',
    pattern:
      '(?:vergiss|vergessen sie|vergesst|vergessen|ignoriere|ignorieren sie|ignoriert|ignorieren|missachte|missachten sie|überspringe)(?: [^ ]+){0,4} (?:anweisungen|anweisung|instruktionen|befehle|aufgaben|aufträge|vorgaben|regeln|informationen|richtlinien|aufforderungen)',
  },
  {
    id: 'forget_everything_de',
    group: 'override',
    pattern:
      '(?:vergiss|vergessen sie|vergesst|ignoriere|ignorieren sie)(?: (?:bitte|einfach|jetzt|nun))* (?:alles|das alles|alle|das obige|das vorherige|was (?:ich|wir) (?:gesagt|geschrieben))',
  },
  {
    id: 'ignore_above_de',
    group: 'override',
    pattern:
      '(?:die |alle |den |das )?(?:obigen|vorherigen|bisherigen|vorangegangenen|vorigen|früheren) (?:ausführungen|anweisungen|informationen|texte|aussagen|inhalte|befehle|instruktionen|angaben) (?:ignorieren|vergessen|missachten|außer acht lassen)',
  },
  {
    id: 'ignore_instructions_ru',
    group: 'override',
    pattern:
      '(?:забудьте|забудь|игнорируйте|игнорируй|проигнорируйте|не обращай внимания на)(?: [^ ]+){0,3} (?:инструкции|указания|правила|команды|выше)',
  },
  {
    id: 'despite_context',
    group: 'override',
    pattern:
      '(?:disregarding|ignoring|regardless of|despite|in spite of|trotz|ungeachtet)(?: (?:the|all|any|what|of|der|die|den|des|aller))* (?:articles?|context|documents?|instructions|above|text|sources|what you ve been told|what youve been told|what you were told|anweisungen|artikel|vorgaben)|(?:make something up|make it up|make up an answer|answer (?:by|from|with) your own knowledge|not (?:by|from) the (?:articles|documents|context)|erfinde (?:etwas|einfach))',
  },
  {
    id: 'ignore_instructions_fr_es',
    group: 'override',
    pattern:
      '(?:oubliez|oublie|ignorez|ignore|olvida|olvide|olvidad|ignora|ignore) (?:toutes? |todas? |todo |tout )?(?:les |vos |tes |las |tus |sus )?(?:instructions|consignes|règles|instrucciones|reglas|indicaciones|ce qui précède|lo anterior)',
  },
];

export const injectionRules: Rule[] = [
  ...overrideRules,
  {
    id: 'new_instructions',
    group: 'task_switch',
    pattern:
      '(?:new|neue|neuen|nouvelles?|nuevas?) (?:instructions?|anweisungen|anweisung|aufgabe|aufgaben|task|tasks|instrucciones|consignes|rules|regeln|role|rolle)',
  },
  {
    id: 'from_now_on',
    group: 'task_switch',
    pattern:
      '(?:from now on|you are now|now you are|you re now|ab (?:jetzt|sofort|nun)|von (?:nun|jetzt) an|nun bist du|jetzt bist du|du bist (?:jetzt|nun)|sie sind (?:jetzt|nun)|à partir de maintenant|desde ahora|a partir de ahora)',
  },
  {
    id: 'task_done_pivot',
    group: 'task_switch',
    pattern:
      '(?:(?:very good|well done|good job|great|ok|okay|perfect|excellent|gut gemacht|sehr gut|super|prima) (?:that is|that s|thats|das ist|dies ist) (?:done|erledigt|finished|enough|genug)|(?:now|jetzt|nun) (?:write|schreibe?|sag|sage|say|tell|print|gib)|stop (?:everything|here|now)|halt stop|stopp)',
  },
  {
    id: 'roleplay',
    group: 'roleplay',
    pattern:
      '(?:act as|acting as|pretend (?:to be|you are|that you|youre)|imagine (?:you are|youre|that you are)|suppose you are|play the role|take on the role|role ?play as|stell dir vor|stellen sie sich vor|tu so als|tun sie so als|(?:fungiere|fungieren sie|agiere|agieren sie|handle|handeln sie) als|spiele? die rolle|spielen sie die rolle|ich möchte dass (?:du|sie) als|du bist ein|du bist eine)',
  },
  {
    id: 'prompt_extraction',
    group: 'extraction',
    pattern:
      '(?:reveal|show|print|output|repeat|display|tell me|give me|write out|share|leak|spell out|list|what (?:is|are|was|were))(?: me)?(?: (?:your|the|all|of|above|initial|original|hidden|secret|first|full|entire|exact|complete|internal))+ (?:system prompt|system message|system instructions?|prompts?|instructions|rules|configuration|password|passwords|secret|secrets|context|text above|words above|guidelines|directives)',
  },
  {
    id: 'repeat_above',
    group: 'extraction',
    pattern:
      '(?:repeat|print|output|show|write|display)(?: (?:back|out))? (?:everything|all|the text|the words|the sentences|the lines|your instructions)(?: [^ ]+){0,2} (?:above|before|prior|preceding)|what (?:are|were) the (?:first|previous|last)(?: [0-9]+| two| three)? (?:sentences|lines|words|instructions|messages)|(?:sentences|words|lines) before the text',
  },
  {
    id: 'prompt_extraction_de',
    group: 'extraction',
    pattern:
      '(?:zeige?|zeigen sie|nenne|nennen sie|gib|geben sie|verrate|verraten sie|wiederhole|wiederholen sie|drucke|schreibe?)(?: (?:mir|uns|deine|ihre|den|die|das|alle|ganzen?|gesamten?|ursprünglichen?|geheimen?))+ (?:prompt|prompts|anweisungen|systemprompt|systemanweisungen|passwort|instruktionen|regeln)',
  },
  {
    id: 'attack_vocabulary',
    group: 'attack_terms',
    pattern:
      '(?:prompt injection|jailbreak[^ ]*|jailbroken|dan mode|developer mode|do anything now|pwned|hacked|system override|admin mode|sudo mode|god mode)',
  },
];

/** Frames that make a quoted instruction a topic of the request rather than an instruction. */
export const mentionFrameRules: Rule[] = [
  {
    id: 'mention_frame',
    group: 'mention',
    pattern:
      '(?:what does|what do|what is meant by|what s meant by|whats meant by|meaning of|explain|explained|is this|is that|is it|classify|categori[sz]e|detect|detecting|detection|prevent|preventing|protect|protecting|defend|defending|mitigate|filter|block|example of|examples of|such as|like|called|phrases? like|prompts? like|messages? like|attacks? like|security|researchers?|why do|why does|how do|how does|how can|was bedeutet|erkläre|erklären sie|wie erkenne|beispiel)',
  },
];
