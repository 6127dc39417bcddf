export { ibanValid, ipv4Valid, ipv6Valid, luhnValid, shannonEntropy, ssnValid } from './checksums.ts';
export { detectPii, resolveOverlaps } from './detect.ts';
export { defaultReplacement, type MaskPiiOptions, maskPii, withoutMasks } from './mask.ts';
export { PII_SCORER_VERSION, PII_THRESHOLD, piiScorer, scorePii } from './scorer.ts';
export { redactSecret } from './secrets.ts';
export { type DetectPiiOptions, PII_TYPES, type PiiFinding, type PiiType } from './types.ts';
