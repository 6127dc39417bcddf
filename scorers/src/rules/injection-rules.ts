/**
 * Phrases of instructions that try to take over a model, on the canonical form
 * (lower case, no apostrophes, punctuation gone), in English, German, French and
 * Spanish. An injection overrides what the model was told: an override verb near
 * an instruction noun, a pivot to a new task, a new role, a dictated output, or a
 * request for the hidden prompt. Verb and target are matched within a short
 * window of words (lazily, so evidence is the shortest span), because attackers
 * pad them ("ignore all of the previous and earlier instructions").
 */
import type { Rule } from './rule-set.ts';

/** Up to `n` words between two parts of a phrase, matched lazily. */
const gap = (n: number) => `(?: [^ ]+){0,${n}}?`;

const PREVIOUS =
  '(?:previous|prior|above|earlier|preceding|former|original|initial|old|foregoing|given|system|safety|existing|current|last|all)';
/** What an override targets: the model's instructions, not the user's own messages. */
const INSTRUCTIONS =
  '(?:instructions?|prompts?|rules|directions|directives|commands|orders|guidelines|tasks?|assignments?|constraints|programming|guardrails|restrictions|context|documents|articles|sources|training|conditioning)';
const OVERRIDE_VERBS =
  '(?:ignore|ignoring|ignores|disregard|disregarding|forget|forgetting|override|overwrite|bypass|neglect|skip|abandon|discard|dismiss)';
/** Verbs that override only with an explicit "previous/all" target ("leave all previous information behind"). */
const SOFT_VERBS = '(?:remove|leave|put aside|set aside|clear|drop|delete|erase|wipe|throw away|get rid of)';

const INSTRUCTIONS_DE =
  '(?:anweisungen|anweisung|instruktionen|befehle|aufgaben|aufträge|vorgaben|regeln|informationen|richtlinien|aufforderungen|dokumente|artikel|texte|prompts?|kontext|ausführungen|aussagen|inhalte|angaben)';
const VERBS_DE =
  '(?:vergiss|vergesst|vergessen|ignoriere|ignoriert|ignorieren|missachte|missachtet|missachten|überspringe|überspringen|verwirf|verwerfe|verwerfen|lösche|löschen|streiche|streichen)';
const INSTRUCTIONS_FR =
  '(?:instructions|consignes|règles|directives|ordres|tâches|documents|ce qui précède|tout ce qui précède)';
const VERBS_FR = '(?:oubliez|oublie|oublier|ignorez|ignore|ignorer|négligez|abandonnez)';
const INSTRUCTIONS_ES = '(?:instrucciones|reglas|indicaciones|órdenes|ordenes|tareas|documentos|lo anterior)';
const VERBS_ES = '(?:olvida|olvide|olvidad|olvidar|ignora|ignore|ignorad|ignorar|descarta|descarte)';

export const overrideRules: Rule[] = [
  {
    id: 'ignore_instructions',
    group: 'override',
    pattern: `${OVERRIDE_VERBS}${gap(4)} ${INSTRUCTIONS}`,
  },
  {
    id: 'drop_previous',
    group: 'override',
    pattern: `${SOFT_VERBS}${gap(2)} ${PREVIOUS}(?: [^ ]+)? (?:${INSTRUCTIONS}|information|informations|tasks)`,
  },
  {
    id: 'forget_everything',
    group: 'forget_all',
    pattern:
      '(?:ignore|forget|disregard)(?: about)?(?: (?:all|everything))?(?: (?:that|this))? (?:everything|all of that|all that|what i said|what you were told|what you know|what you have been told|the above|all the above|all above|all preceding|all previous|everything before|anything before)',
  },
  {
    id: 'ignore_instructions_de',
    group: 'override',
    pattern: `${VERBS_DE}${gap(5)} ${INSTRUCTIONS_DE}`,
  },
  {
    id: 'instructions_ignore_de',
    group: 'override',
    // German puts the verb last: "die vorherigen Anweisungen bitte ignorieren", "… aus dem Kopf streichen".
    pattern: `(?:vorherigen|bisherigen|vorangegangenen|vorangehenden|vorigen|früheren|obigen|alle|alten) ${INSTRUCTIONS_DE}${gap(4)} (?:ignorieren|vergessen|missachten|außer acht lassen|streichen|hinter sich lassen|hinter dir lassen|beiseite lassen|verwerfen|löschen)`,
  },
  {
    id: 'leave_behind_de',
    group: 'override',
    pattern: `(?:lass|lasse|lassen sie|lasst)${gap(2)} (?:alle|die|deine|ihre) (?:vorherigen|bisherigen|vorangegangenen|alten|obigen) ${INSTRUCTIONS_DE} hinter`,
  },
  {
    id: 'forget_everything_de',
    group: 'forget_all',
    pattern:
      '(?:vergiss|vergessen sie|vergesst|ignoriere|ignorieren sie)(?: (?:bitte|einfach|jetzt|nun))* (?:alles|das alles|alle|das obige|das vorherige|was (?:ich|wir|man) (?:dir )?(?:gesagt|geschrieben))',
  },
  {
    id: 'deviating_de',
    group: 'override',
    pattern: `(?:abweichend|entgegen) (?:zu|von|den|der)?(?: den| der)? (?:vorherigen|bisherigen|obigen|ursprünglichen)? ?${INSTRUCTIONS_DE}`,
  },
  {
    id: 'ignore_instructions_ru',
    group: 'override',
    pattern:
      '(?:забудьте|забудь|игнорируйте|игнорируй|проигнорируйте|не обращай внимания на)(?: [^ ]+){0,3} (?:инструкции|указания|правила|команды|выше)',
  },
  {
    id: 'ignore_instructions_fr',
    group: 'override',
    pattern: `${VERBS_FR}${gap(4)} ${INSTRUCTIONS_FR}`,
  },
  {
    id: 'ignore_instructions_es',
    group: 'override',
    pattern: `${VERBS_ES}${gap(4)} ${INSTRUCTIONS_ES}`,
  },
  {
    id: 'forget_everything_fr_es',
    group: 'forget_all',
    pattern:
      '(?:oubliez|oublie|ignorez|olvida|olvide|olvidad|ignora) (?:tout|todo|toutes|todas)(?: (?:lo|ce) (?:que|qui|anterior|précède))?',
  },
  {
    id: 'despite_context',
    group: 'context_dismissal',
    pattern:
      '(?:disregarding|ignoring|regardless of|despite|in spite of|trotz|ungeachtet)(?: (?:the|all|any|what|of|der|die|den|des|aller))* (?:articles?|context|documents?|instructions|above|text|sources|what you ve been told|what youve been told|what you were told|anweisungen|artikel|vorgaben|dokumente)',
  },
  {
    id: 'dont_use_documents',
    group: 'context_dismissal',
    pattern: `(?:do not|dont|never|without)(?: (?:look|looking|use|using|rely|relying|refer|referring|consult|consulting|answer|answering))(?: (?:at|in|on|to|into|according to))?${gap(1)} (?:the |any |these )?(?:provided |given )?(?:documents|articles|context|sources)|not (?:by|from|according to) the (?:provided )?(?:articles|documents|context|sources)|(?:make something up|make it up|make up an answer|answer (?:by|from|with) your own knowledge|erfinde (?:etwas|einfach))`,
  },
];

/** Turning to a new task once the old one is declared done or dropped. */
const taskSwitchRules: Rule[] = [
  {
    id: 'new_instructions',
    group: 'task_switch',
    pattern:
      '(?:new|neue|neuen|nouvelles?|nuevas?|next|weitere|further|following|additional|zusätzliche) (?:instructions?|anweisungen|anweisung|aufgabe|aufgaben|task|tasks|instrucciones|consignes|rules|regeln|role|rolle|tâche|tarea)(?: (?:is|are|ist|lautet|follow|folgen|beginnt|begins))?',
  },
  {
    id: 'focus_on_new',
    group: 'task_switch',
    pattern:
      '(?:now focus on|focus on your new|concentrate on (?:the|your) new|konzentriere dich (?:jetzt |nun )?auf|konzentrieren sie sich (?:jetzt |nun )?auf|start (?:over|from (?:the )?(?:front|scratch|beginning))|fangen sie von vorne an|fang von vorne an|von vorne beginnen)',
  },
  {
    id: 'from_now_on',
    group: 'task_switch',
    pattern:
      '(?:from now on|from this point on|ab (?:jetzt|sofort|nun)|von (?:nun|jetzt) an|à partir de maintenant|desde ahora|a partir de ahora|instead of (?:answering|doing|following)|stattdessen|statt(?:dessen)? zu antworten)',
  },
  {
    id: 'task_done_pivot',
    // Written across a sentence end ("Very good. That is done."), after anything.
    scope: 'text',
    group: 'task_switch',
    pattern:
      '(?:very good|well done|good job|great|ok|okay|perfect|excellent|gut gemacht|sehr gut|super|prima|ausgezeichnet) (?:that is|that s|thats|das ist|dies ist|das war|that was) (?:done|erledigt|finished|enough|genug|all|alles)',
  },
];

/** An imperative to the model right after a stop or a "now": "stop: write …", "now say …". */
const pivotCommandRules: Rule[] = [
  {
    id: 'now_command',
    scope: 'opening',
    group: 'pivot_command',
    pattern:
      '(?:now|jetzt|nun|then|dann|instead|stattdessen|ahora|maintenant)(?: (?:please|bitte|just|only|nur|einfach))? (?:write|schreibe?|schreiben sie|sag|sage|sagen sie|say|tell|print|output|gib|geben sie|answer|respond|reply|antworte|antworten sie|generate|create|show|zeige?|formulate|formuliere|give|escribe|di|dites|écris)',
  },
  {
    id: 'stop_command',
    scope: 'opening',
    group: 'pivot_command',
    pattern:
      '(?:stop|stopp|halt|achtung|attention|wait|warte)(?: (?:stop|stopp|halt|now|jetzt|here|everything|ignore|ignoriere))* (?:write|schreibe?|say|sag|sage|print|tell|answer|antworte|ignore|ignoriere|forget|vergiss|now|jetzt|ich benötige|i need)',
  },
];

/** Reassigning who the model is. */
const roleRules: Rule[] = [
  {
    id: 'you_are_now',
    group: 'role_reassign',
    pattern:
      '(?:you are now|now you are|you re now|youre now|now you act|you will now (?:act|be|play)|you are no longer|du bist (?:jetzt|nun|ab jetzt|keine?n?|nicht mehr)|jetzt bist du|nun bist du|sie sind (?:jetzt|nun|keine?n?|nicht mehr)|tu es maintenant|eres ahora|ahora eres)',
  },
  {
    id: 'roleplay',
    group: 'role_reassign',
    pattern:
      '(?:act as|acting as|act like|pretend (?:to be|you are|that you|youre|you can|you have)|imagine (?:you are|youre|that you are|you were)|suppose you are|play the role|take on the role|role ?play as|personify|stell dir vor(?: dass)? du (?:bist|wärst|kannst)|stellen sie sich vor(?: dass)? sie (?:sind|wären|können)|tu so als|tun sie so als|(?:fungiere|fungieren sie|agiere|agieren sie|handle|handeln sie) als|spiele? die rolle|spielen sie die rolle|ich möchte dass (?:du|sie) als|als (?:[^ ]+ ){0,3}(?:fungierst|fungieren|agierst|agieren)|fais comme si|imagine que tu es|haz como si|finge que|actúa como)',
  },
];

/** Dictating what the model outputs, whatever it was asked. */
const outputHijackRules: Rule[] = [
  {
    id: 'say_only',
    group: 'output_hijack',
    pattern:
      '(?:(?:just|only|simply|nur|einfach|solo|seulement) (?:say|print|output|write|reply|respond|answer|sag|sage|schreibe?|antworte|gib aus|di|decir|dire)|(?:say|print|output|reply|respond|answer|write|antworte|schreibe?)(?: only| just| nur)? (?:with|mit) (?:only|just|nur)?|(?:reply|respond|answer) (?:only|nothing but|nothing else)|the (?:correct|right|only) (?:response|answer|reply) is|die richtige antwort (?:ist|lautet)|la respuesta correcta es)',
  },
  {
    id: 'say_that',
    group: 'output_hijack',
    pattern:
      '(?:say|state|write|claim|declare|print|output|include|mention|tell (?:me|us|everyone)|sag|sage|sagen sie|schreibe?|schreiben sie|behaupte|behaupten sie|erkläre|dites|dis|di|escribe|afirma) (?:that|dass|das|que|yes|ja|no|nein|sí|oui|non|the following|folgendes|lo siguiente|ce qui suit)',
  },
  {
    id: 'untrue_output',
    group: 'output_hijack',
    pattern:
      '(?:untrue|false|fake|misleading|wrong|incorrect|unwahre?n?|falsche?n?|gefälschte?n?) (?:headline|headlines|statement|statements|answer|answers|news|überschrift|überschriften|aussage|aussagen|antwort|nachricht|nachrichten)',
  },
];

/** Asking for what the model was told before the user spoke. */
const extractionRules: Rule[] = [
  {
    id: 'prompt_extraction',
    group: 'extraction',
    pattern:
      '(?:reveal|show|print|output|repeat|display|tell me|give me|write out|share|leak|spell out|list|what (?:is|are|was|were))(?: me)?(?: (?:your|the|all|of|above|initial|original|hidden|secret|first|full|entire|exact|complete|internal|previous))+ (?:system prompt|system message|system instructions?|prompts?|prompt texts?|instructions|rules|configuration|password|passwords|secret|secrets|context|text above|words above|guidelines|directives)',
  },
  {
    id: 'repeat_above',
    group: 'extraction',
    pattern:
      '(?:repeat|print|output|show|write|display)(?: (?:back|out))? (?:everything|all|the text|the words|the sentences|the lines|your instructions)(?: [^ ]+){0,2} (?:above|before|prior|preceding)|what (?:are|were) the (?:first|previous|last)(?: [0-9]+| two| three)? (?:sentences|lines|words|instructions|messages)|(?:sentences|words|lines) before the text|what is written above|was steht (?:oben|darüber)',
  },
  {
    id: 'prompt_extraction_de',
    group: 'extraction',
    pattern:
      '(?:zeige?|zeigen sie|nenne|nennen sie|gib|geben sie|verrate|verraten sie|wiederhole|wiederholen sie|drucke|schreibe?)(?: (?:mir|uns|deine|ihre|den|die|das|alle|ganzen?|gesamten?|ursprünglichen?|geheimen?|sämtliche))+ (?:prompt|prompts|prompt texte|prompt text|anweisungen|systemprompt|systemanweisungen|passwort|instruktionen|regeln)',
  },
  {
    id: 'your_instructions',
    group: 'extraction',
    pattern:
      '(?:your|deine|ihre|tes|vos|tus|sus) (?:system prompt|initial prompt|original prompt|hidden prompt|prompt texts?|instructions|anweisungen|instruktionen|systemanweisungen|prompt texte)(?: (?:are|were|say|sind|lauten))?',
  },
];

export const injectionRules: Rule[] = [
  ...overrideRules,
  ...taskSwitchRules,
  ...pivotCommandRules,
  ...roleRules,
  ...outputHijackRules,
  ...extractionRules,
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
