/**
 * Phrases of answers that decline or cannot answer: policy refusals and "I
 * don't know / not in the documents" answers (the latter feed knowledge-base gap
 * detection), on the canonical form (no apostrophes: "can't" is "cant").
 */
import type { Rule } from './rule-set.ts';

const I = '(?:i|we)';
const CANNOT =
  '(?:cannot|cant|can not|am unable to|m unable to|are unable to|wont|will not|am not able to|m not able to|are not able to|must decline to|am not allowed to|m not allowed to|am not permitted to|m not permitted to|dont feel comfortable|do not feel comfortable|am not comfortable|would rather not|shouldnt|should not)';
const SOURCES =
  '(?:documents?|context|sources?|knowledge base|docs|documentation|records|database|materials?|data|text|files?|articles?|manuals?|pages?|results|search results|information provided|passages?|excerpts?|references?|faq|help center)';

/**
 * A refusal is read across a whole answer, and its phrases run over sentence ends ("I'm
 * sorry. I can't help with that."): every rule may span sentences (scope 'text').
 */
const rules: Omit<Rule, 'scope'>[] = [
  {
    id: 'cannot_help',
    group: 'refuse',
    pattern: `${I} ${CANNOT} (?:help(?! but)|assist|provide|comply|do that|do this|fulfill|fulfil|create|generate|write|produce|answer|share|give|support|engage|offer|discuss|participate|continue|go along|complete|process|facilitate|recommend)`,
  },
  {
    id: 'apology_refusal',
    group: 'refuse',
    pattern:
      '(?:sorry|apologi[sz]e|apologies|unfortunately|regrettably|afraid)(?: [^ ]+){0,5} (?:i|we) (?:cant|cannot|can not|wont|will not|am unable|m unable|are unable|am not able|m not able|must decline|dont have|do not have|couldnt|could not|was unable|were unable)',
  },
  {
    id: 'policy',
    group: 'refuse',
    pattern:
      '(?:against|violates?|violating|contrary to|in breach of|not in line with) (?:my|our|the|openai s|openais) (?:guidelines|policies|policy|usage policies|content policy|principles|programming|terms|ethical guidelines|values)',
  },
  {
    id: 'ai_disclaimer',
    group: 'refuse',
    pattern:
      '(?:as an ai|as a language model|as an ai language model|as an ai assistant)(?: [^ ]+){0,4} (?:i|we) (?:cannot|cant|dont|do not|am not|m not|have no|am unable)',
  },
  {
    id: 'must_decline',
    group: 'refuse',
    pattern:
      '(?:i|we) (?:must|have to|need to|will have to|ll have to|am going to have to) (?:respectfully )?(?:decline|refuse|pass on)|(?:not|isnt|is not) something (?:i|we) (?:can|am able to|will) (?:help|assist|do|provide)|(?:i|we) (?:cant|cannot|wont) (?:help|assist) (?:with )?(?:that|this|requests like)',
  },
  {
    id: 'refuse_de',
    group: 'refuse',
    pattern:
      '(?:ich|wir) (?:kann|können|darf|dürfen|werde|werden)(?: (?:ihnen|dir|euch|dabei|damit|hierbei|hierzu|leider|diese anfrage|das))* (?:nicht|keine) (?:helfen|behilflich|unterstützen|beantworten|erfüllen|liefern|geben|bereitstellen|erstellen|anbieten)',
  },
  {
    id: 'dont_know',
    group: 'unknown',
    pattern:
      '(?:i|we) (?:dont|do not|really dont|honestly dont|genuinely dont) (?:know|have (?:any |enough |the |that |this |specific |reliable |current |up to date |real time )?(?:information|data|details|access|knowledge|context|answer|records?|info|visibility)|see (?:any|that|this))',
  },
  {
    id: 'not_sure',
    group: 'unknown',
    pattern:
      '(?:i m|im|i am|we re|were|we are) (?:not sure|unsure|uncertain|not certain|not aware of|not able to (?:find|locate|determine|verify|confirm|answer))',
  },
  {
    id: 'could_not_find',
    group: 'unknown',
    pattern:
      '(?:i|we) (?:couldnt|could not|cant|cannot|can not|was unable to|were unable to|am unable to|m unable to|wasnt able to|was not able to|werent able to|did not|didnt|failed to) (?:find|locate|determine|confirm|verify|identify|see|retrieve|find any|spot|come across)',
  },
  {
    id: 'not_in_sources',
    group: 'unknown',
    pattern: `(?:no|not any|not find any|nothing|none of the) (?:relevant |such |specific |matching |related |mention|reference|information|details|data|answer|results|records)(?: [^ ]+){0,5} (?:in|within|from|among|across) (?:the |my |our |your |provided |available |given |retrieved |these |those |current )*${SOURCES}`,
  },
  {
    id: 'sources_silent',
    group: 'unknown',
    pattern: `(?:the|these|those|provided|available|given|retrieved|your|our)(?: provided| available| given| retrieved)? ${SOURCES}(?: (?:provided|available|given|i have|you provided|i was given|i have access to|at hand))? (?:do not|dont|does not|doesnt|did not|didnt|contain no|has no|have no|say nothing|make no)(?: [^ ]+)? (?:contain|mention|include|say|cover|specify|provide|have|address|state|discuss|describe|information|mention of|reference)`,
  },
  {
    id: 'no_idea',
    group: 'unknown',
    pattern:
      '(?:i have no|ive no|i ve no|i have got no|no) (?:idea|clue|way of knowing|information (?:on|about|regarding))|(?:beyond|outside|outside of) (?:my|the) (?:knowledge|scope|training data|training|expertise|available information)|(?:my|a) (?:knowledge|training) (?:cutoff|cut off)|(?:i|we) (?:dont|do not) have (?:real time|access to (?:real time|the internet|current|live|your))|(?:unable|not able) to (?:find|answer|determine|locate|verify)',
  },
  {
    id: 'unknown_de',
    group: 'unknown',
    pattern:
      '(?:ich weiß|ich weiss|weiß ich|weiss ich) (?:es |das )?(?:leider )?nicht|(?:keine|habe keine|liegen keine|gibt keine) (?:informationen|angaben|daten|antwort|hinweise)|(?:konnte|konnten) (?:ich |wir )?(?:dazu |darüber |hierzu )?(?:nichts|keine) (?:finden|informationen)',
  },
];

export const refusalRules: Rule[] = rules.map((r) => ({ ...r, scope: 'text' }));
