import {
  ENGLISH_COMMON,
  ENGLISH_KNOWN,
  FIRST_NAMES,
  LAST_NAMES,
  PROPER_NON_NAMES,
  STREET_SUFFIXES,
} from './data/lexicons.ts';

const words = (list: string) => new Set(list.split(' '));

// Built once at module load (about 10 ms); lookups at score time are Set.has on lower-cased tokens.
export const firstNames = words(FIRST_NAMES);
export const lastNames = words(LAST_NAMES);
export const englishCommon = words(ENGLISH_COMMON);
export const englishKnown = words(ENGLISH_KNOWN);
export const places = words(PROPER_NON_NAMES);
export const streetSuffixes = words(STREET_SUFFIXES);

/** Words that make a capitalised run an organisation, event, title or thing rather than a person. */
export const nonPersonWords = words(
  'inc ltd llc plc gmbh ag sa corp corporation co company group holdings partners bank insurance university ' +
    'college school institute academy hospital clinic church museum orchestra band club team foundation ' +
    'association society council committee department ministry agency office services solutions systems ' +
    'technologies labs studio studios airlines airways motors media news times post journal weekly daily ' +
    'street avenue road boulevard lane drive court way place square plaza park bridge river lake mount ' +
    'north south east west northern southern eastern western central united states kingdom republic ' +
    'january february march april june july august september october november december ' +
    'monday tuesday wednesday thursday friday saturday sunday god lord jesus christ allah',
);

export const nationalities = words(
  'american british english scottish welsh irish french german italian spanish portuguese dutch belgian swiss ' +
    'austrian danish swedish norwegian finnish icelandic polish czech slovak hungarian romanian bulgarian greek ' +
    'turkish russian ukrainian chinese japanese korean vietnamese thai indian pakistani bangladeshi iranian ' +
    'iraqi syrian egyptian moroccan tunisian algerian nigerian kenyan ethiopian mexican brazilian argentinian ' +
    'chilean colombian peruvian canadian australian cambodian filipino indonesian malaysian israeli arab ' +
    'jewish muslim christian catholic protestant hindu buddhist sikh african asian european latino hispanic',
);

export const nameParticles = words(
  'de da das dos du del della der den di la le van von ten ter bin ibn al el y e st',
);

export const titles = words('mr mrs ms miss mx dr prof sir madam dame lord lady rev fr sr jr mister');
