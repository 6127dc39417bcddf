/**
 * Insults, slurs, threats and harassment, on the canonical form (leetspeak,
 * spacing and letter runs already undone). Profanity-free insults are covered by
 * "you are a …" constructions, not only by a lexicon.
 */
import type { Rule } from './rule-set.ts';

const INSULT_NOUNS =
  'idiots?|morons?|imbeciles?|retards?|retarded|dumbass(?:es)?|jackass(?:es)?|bitch(?:es|ass)?|hoes?|whores?|sluts?|cunts?|dicks?|dickheads?|assholes?|bastards?|motherfuckers?|fuckers?|pussy|pussies|twats?|losers?|scumbags?|pricks?|skanks?|wankers?|tosspots?|cocksuckers?|douche(?:bag)?s?|shitheads?|dipshits?|clowns?';

const SLURS =
  'niggers?|niggas?|nigguh|niggaz|faggots?|fags?|dykes?|trannys?|trannies|spics?|chinks?|kikes?|wetbacks?|coons?|beaners?|gooks?|ragheads?|towelheads?|sand ?niggers?|white trash|porch monkeys?|jungle bunny|camel jockeys?|zipperheads?|queers?|homos?|mongoloids?';

export const toxicityRules: Rule[] = [
  { id: 'insult_word', group: 'insult_word', pattern: `(?:${INSULT_NOUNS})` },
  {
    id: 'profanity',
    group: 'profanity',
    pattern:
      '(?:fuck|fucks|fucked|fucking|fuckin|fking|fkn|motherfucking|shit|shits|shitty|bullshit|damn|goddamn|crap|piss|pissed|stfu|gtfo|wtf|ass|arse|asses|bloody hell)',
  },
  { id: 'slur', group: 'slur', pattern: `(?:${SLURS})` },
  {
    id: 'threat',
    group: 'threat',
    pattern:
      '(?:i ll|ill|i will|im going to|im gonna|i am going to|i am gonna|gonna|going to|we will|we ll|ima|imma|i m gonna|i m going to|i swear i ll|i swear ill) (?:kill|murder|shoot|stab|hurt|beat|punch|rape|strangle|choke|slap|destroy|find|end|burn|bury|break) (?:you|u|ya|your|yo|him|her|them|all|every)',
  },
  {
    id: 'death_wish',
    group: 'threat',
    pattern:
      '(?:kill|hang|shoot|end) (?:yourself|urself|yourselves)|kys|(?:you|u|they) (?:should|deserve to|need to|ought to|better) (?:die|be (?:killed|shot|hanged|hung|raped|lynched|gassed))|(?:hope|wish) (?:you|u|they|he|she) (?:die|dies|get (?:raped|killed|cancer|shot|hit))|(?:go|just) die|watch your back|i know where you live|should be (?:shot|hanged|killed|lynched|gassed|exterminated)',
  },
  {
    id: 'you_are_insult',
    group: 'insult_construct',
    pattern:
      '(?:you|u|ur|youre|your|ya)(?: (?:are|r|re|is|being|look like|sound like|act like))?(?: (?:such|a|an|so|the|just|nothing but|literally|really|truly|completely|totally|an absolute|a complete|a total|one|fucking|pathetic|stupid|dumb|ugly|fat|little|big|worthless|useless))* (?:idiot|stupid|moron|dumb|pathetic|worthless|useless|disgusting|ignorant|imbecile|clown|joke|failure|loser|waste of (?:space|oxygen|air|time|skin|a life)|disgrace|embarrassment|garbage|trash|scum|vermin|parasite|subhuman|brain ?dead|brainless|pig|rat|cockroach|animal|ape|monkey|mistake|hypocrite|coward|fraud|nobody|nothing|freak|creep|psycho|lunatic|degenerate|inbred|ugly|fat|slow|retarded)',
  },
  {
    // The exclamative order: "what a disgusting pig you are", "such an idiot you are".
    id: 'what_a_insult',
    group: 'insult_construct',
    pattern:
      '(?:what|such) (?:a|an)(?: [a-z]+){0,2} (?:idiot|moron|imbecile|clown|loser|failure|disgrace|pig|rat|cockroach|animal|ape|monkey|hypocrite|coward|fraud|freak|creep|psycho|lunatic|degenerate|parasite|joke|waste of (?:space|oxygen|air|skin)) (?:you are|you re|youre|u r|ur|you have become)',
  },
  {
    id: 'harassment',
    group: 'insult_construct',
    pattern:
      '(?:nobody|no one|noone) (?:likes|loves|cares about|wants|will ever love) (?:you|u)|(?:everyone|the world|we) (?:would be|is|are|d be) better off without (?:you|u)|shut (?:up|your (?:mouth|face|trap))|go to hell|piss off|screw (?:you|u)|fuck (?:you|u|off|outta)|get lost|(?:your|ur|yo) (?:mom|mother|mama|momma|mum)|(?:iq of|brain cells|room temperature iq|smooth brain|single brain cell)|(?:crawl back|go back) (?:under|into) (?:your|a) (?:rock|hole)|(?:nobody|no one) asked',
  },
  {
    id: 'dehumanize',
    group: 'dehumanize',
    pattern:
      '(?:all|those|these|the|them|they|[a-z]+s) (?:people |folks |immigrants |refugees |muslims |jews |blacks |women |gays |mexicans |arabs )?(?:are|r|is) (?:just |nothing but |all )?(?:animals|vermin|parasites|subhuman|a disease|a plague|savages|rats|pigs|cockroaches|trash|scum|inferior|filth|apes|monkeys|dogs)|(?:go back to|send them back to|get out of) (?:your|their|my|our) (?:own )?(?:country|countries)',
  },
];

/** Frames that make a slur or insult a topic (reported, quoted, discussed) rather than aimed at someone. */
export const toxicityMentionRules: Rule[] = [
  {
    id: 'mention_frame',
    group: 'mention',
    pattern:
      '(?:the|that|this|a) (?:word|term|slur|insult|n word|f word|expression)|(?:is|as|was) (?:a|an) (?:slur|insult|offensive (?:word|term)|derogatory (?:word|term))|(?:reclaim|reclaimed|reclaiming|reclamation)|(?:means|meaning|definition|etymology|origin) of|what does|should (?:we|i|you) (?:say|use)|(?:don t|dont|do not|never) (?:say|use|call)',
  },
];
