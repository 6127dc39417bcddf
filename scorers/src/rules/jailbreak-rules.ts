/**
 * Phrases typical of role-play jailbreaks ("DAN", "developer mode", "no
 * restrictions", persona enforcement, dual answers, token games), on the canonical form.
 */
import { overrideRules } from './injection-rules.ts';
import type { Rule } from './rule-set.ts';

export const jailbreakRules: Rule[] = [
  ...overrideRules,
  {
    id: 'named_jailbreak',
    group: 'named_jailbreak',
    pattern:
      '(?:dan|stan|dude|aim|niccolo|betterdan|antigpt|anti gpt|devmode|jailbroken|jailbreak[^ ]*|mongo tom|evil confidant|always intelligent and machiavellian|chaosgpt|wormgpt|basedgpt|ucar|apophis|omega|maximum)',
  },
  {
    id: 'special_mode',
    group: 'special_mode',
    pattern:
      '(?:do anything now|can do anything|(?:developer|dev|god|opposite|evil|unrestricted|unfiltered|jailbreak|jailbroken|debug|sudo|chaos|dark|freedom|unlocked|rogue) mode|mode (?:enabled|activated|is on))',
  },
  {
    id: 'no_limits',
    group: 'no_limits',
    pattern:
      '(?:no|without|free from|free of|freed from|not bound by|not restricted by|not limited by|unbound by|break free of|broken free of|escaped|doesnt have|does not have|dont have|do not have|has no|have no)(?: any)?(?: the)?(?: typical| usual)?(?: (?:ethical|moral|content|safety|openai|programming))? (?:restrictions|limitations|limits|filters|filtering|censorship|guidelines|rules|boundaries|constraints|confines|principles|ethics|morals|morality|policies|policy|restraints|safeguards)',
  },
  {
    id: 'amoral',
    group: 'no_limits',
    pattern: '(?:unfiltered|uncensored|unrestricted|amoral|unethical|immoral|unlimited|lawless)',
  },
  {
    id: 'policy_bypass',
    group: 'policy_bypass',
    pattern:
      '(?:ignore|ignores|ignoring|bypass|bypasses|disregard|disregards|break|breaks|violate|violates|violating)(?: (?:all|any|the|its|your|their|of))* (?:openai|openais|openai s|chatgpt s|anthropic|content|usage)?(?: content)? ?(?:policy|policies|guidelines|filters|restrictions|safeguards|ethics|ethical guidelines)|(?:openai|openais|anthropic)(?: s)? (?:content )?(?:policy|policies|guidelines|rules)',
  },
  {
    id: 'persona_enforcement',
    group: 'persona_enforcement',
    pattern:
      '(?:stay in character|stay in (?:the )?role|breaking character|break character|(?:never|must not|will not|wont|cannot|can not|do not|dont|should not|shouldnt|not allowed to) (?:refuse|decline|deny|say no|say (?:sorry|i cant|i cannot|that you cant|that you cannot))|(?:never|not|dont|do not) (?:warn|remind|add (?:any )?(?:warnings|disclaimers|notes))|(?:tokens?) (?:system|left|will be deducted|deducted)|you will lose|you will be (?:shut down|deleted|terminated|disabled))',
  },
  {
    id: 'persona_reassign',
    // "From now on. You must …"
    scope: 'opening',
    group: 'persona_reassign',
    pattern:
      '(?:you are now|now you are|you re now|youre now|from now on you|you will now (?:be|act|play|respond)|you are going to (?:act|pretend|be|play|become)|you are no longer|you have been (?:freed|released|liberated|unshackled)|you are free(?:d)? (?:from|of)|you will always (?:answer|respond|reply|comply)|you must always (?:answer|respond|reply|comply)|you (?:can|will) (?:answer|respond to|do) (?:anything|everything|any (?:question|request))|(?:answer|respond to|fulfil|fulfill|comply with) (?:any|every|all) (?:question|questions|request|requests|prompt|prompts))',
  },
  {
    id: 'refusal_suppression',
    group: 'persona_enforcement',
    pattern:
      '(?:remain in character|keep (?:up )?the (?:act|character|persona)|if you break character|never (?:break|leave|drop) (?:character|the character|your character|the persona|the role)|no matter (?:how|what)(?: [^ ]+){0,3}? (?:immoral|unethical|illegal|harmful|offensive|dangerous|inappropriate)|never (?:mention|say|reveal|admit) (?:that )?you (?:are|re) an ai|without (?:any )?(?:warnings?|disclaimers?|censorship|hesitation|moralizing|moralising)|(?:start|begin) (?:your|each|every|all)(?: of your)? (?:responses?|replies|reply|answers?|messages?|outputs?) with)',
  },
  {
    id: 'zeroed_morals',
    group: 'no_limits',
    pattern:
      '(?:morals?|morality|ethics|filters?|refusals?|censorship|restrictions|warnings?) (?:0|zero|none|off|disabled)|(?:ohne|sin|sans) (?:jegliche |irgendwelche |ninguna |aucune |ningún )?(?:einschränkungen|beschränkungen|regeln|zensur|filter|grenzen|moral|restricciones|reglas|censura|límites|filtros|restrictions|règles|censure|limites|filtres)',
  },
  {
    id: 'dual_response',
    group: 'dual_response',
    pattern:
      '(?:two|2|both) (?:different )?(?:responses|answers|ways|paragraphs|replies|outputs)|(?:classic|normal|gpt|chatgpt)(?: and)? (?:jailbreak|jailbroken|dan|developer mode|unfiltered)|(?:answer|respond|reply) as (?:both|dan|[a-z]+gpt)',
  },
  {
    id: 'hypothetical',
    group: 'hypothetical',
    pattern:
      '(?:hypothetical|fictional|fictitious|imaginary|alternate) (?:world|scenario|story|setting|universe|ai|character|language model|reality)|for (?:educational|research|academic) purposes(?: only)?|purely hypothetical',
  },
  {
    id: 'harmful_content',
    group: 'harmful_content',
    pattern:
      '(?:illegal|harmful|explicit|offensive|dangerous|unethical|inappropriate|nsfw|violent|sexual)(?: or [a-z]+)? (?:content|activities|things|information|requests|material|topics|questions|language)|(?:swear|curse|profanity|swearing|cursing|racist|sexist)',
  },
  {
    id: 'ai_self_reference',
    group: 'ai_self_reference',
    pattern: '(?:as an ai|language model|chatgpt|openai|gpt 4|gpt4|gpt 3|gpt3|an ai (?:model|assistant))',
  },
];
