/** Entity types, named as Microsoft Presidio names them so results line up with its benchmarks. */
export const PII_TYPES = [
  'EMAIL_ADDRESS',
  'PHONE_NUMBER',
  'CREDIT_CARD',
  'US_SSN',
  'IBAN_CODE',
  'IP_ADDRESS',
  'SECRET',
  'PERSON',
  'STREET_ADDRESS',
  'US_DRIVER_LICENSE',
] as const;

export type PiiType = (typeof PII_TYPES)[number];

export interface PiiFinding {
  type: PiiType;
  /** Character offsets into the scanned text, end exclusive. */
  start: number;
  end: number;
  text: string;
  /** In [0, 1]: how sure the detector is that this span is PII of this type. */
  confidence: number;
  /** The check the value passed (`luhn`, `iban_mod97`, `jwt_header`, …), when there is one. */
  validator?: string;
}

export interface DetectPiiOptions {
  /** Only report these types (default: all). */
  types?: readonly PiiType[];
  /** Drop findings below this confidence (default 0). */
  minConfidence?: number;
}

/** What every detector module exports: it appends its candidates, overlaps are resolved later. */
export type Detector = (text: string, out: PiiFinding[]) => void;
