/**
 * Inputs at the edges of the PII detectors' shortcuts: the hashed lexicon memo
 * (case, apostrophes, non-ASCII words), the street-prefix and street-ending
 * prefilter (upper case, punctuation before a prefix, a no-break space, words
 * that merely end like one), the PO box and military-address literal checks, the credential keyword check, the firm-name tail check, the email and dotted-quad checks.
 * Expected findings are what the detectors returned before the shortcuts
 * existed, so a shortcut that skips a real match fails here.
 */
import { describe, expect, it } from 'vitest';
import { detectPii } from '../src/pii/detect.ts';

const CASES: [string, [string, number, number, number][]][] = [
  ['Ship it to HAUPTSTRASSE 5, 10115 Berlin please', [['STREET_ADDRESS', 11, 25, 0.95]]],
  ['Ship it to hauptstrasse 5 please', [['STREET_ADDRESS', 11, 25, 0.95]]],
  ['She lives at (rue Lepic 12) now', []],
  ['Mail to Via Roma 3 tomorrow', [['STREET_ADDRESS', 8, 18, 0.95]]],
  ['office: ul. Marszałkowska 10', [['PERSON', 12, 25, 0.45]]],
  ['Karl Johans gate 1, Oslo', [['PERSON', 0, 11, 0.9]]],
  ['Meet me at Kongens Nytorv 12 today', [['PERSON', 11, 25, 0.55]]],
  [
    'send to P.O. BOX 123 or pO bOx 45',
    [
      ['STREET_ADDRESS', 8, 20, 0.85],
      ['STREET_ADDRESS', 24, 33, 0.85],
    ],
  ],
  [
    'Postfach 77 and apartado 12 and CASILLA 9',
    [
      ['STREET_ADDRESS', 0, 11, 0.85],
      ['STREET_ADDRESS', 16, 27, 0.85],
      ['STREET_ADDRESS', 32, 41, 0.85],
    ],
  ],
  ['PSC 1234, Box 5678, APO AE 09876', [['STREET_ADDRESS', 0, 32, 0.85]]],
  ['the string 5 and during 2017 we were true 3 times', []],
  ['Address: 12 Rue de la Paix, Paris', [['STREET_ADDRESS', 9, 26, 0.95]]],
  [
    'My name is jacob smith and I live at 1737 Cheriton Dr',
    [
      ['PERSON', 11, 16, 0.85],
      ['STREET_ADDRESS', 37, 53, 0.95],
    ],
  ],
  ['Hello, my name is Sandra Hamaguchi, I work at Acme Inc. with John', [['PERSON', 18, 34, 0.9]]],
  ["o'neil and d'Angelo met MR. BROWN and Dr. Who at O'Neil's", []],
  [
    'ΣΊΣΥΦΟΣ met Jouni Hahli; later Jouni left. İstanbul Straße 4',
    [
      ['PERSON', 12, 23, 0.7000000000000001],
      ['PERSON', 31, 36, 0.75],
      ['STREET_ADDRESS', 43, 60, 0.7],
    ],
  ],
  [
    'Call NASA, IBAN and Frank May Will at 555-123-4567',
    [
      ['PERSON', 20, 34, 0.55],
      ['PHONE_NUMBER', 38, 50, 0.75],
    ],
  ],
  ['leonti, terrence, pamela and brian came', []],
  ['PASSWORD = "Xy7#kQ2!mZabc"', [['SECRET', 12, 25, 0.8]]],
  ["config api_key: 'AbC123xYz789QwEr' done", [['SECRET', 17, 33, 0.8]]],
  ['Token\u00a0=> A1b2C3d4E5f6Gh', [['SECRET', 9, 23, 0.8]]],
  ['client_secret":"zX9!kQ2#mW7$pL"', [['SECRET', 16, 30, 0.8]]],
  [
    'PassWd:Qw3rTy!9zXc and pwd = "Zx8#Cv7$Bn6"',
    [
      ['SECRET', 7, 18, 0.8],
      ['SECRET', 30, 41, 0.8],
    ],
  ],
  ['Authorization: Bearer abcDEF123456ghiJKL789mnoPQR', [['SECRET', 22, 49, 0.97]]],
  ['note: the password is not a key: just text = nothing', []],
  ['We hired Clark, Romero and Hall Orchestra for the gala', []],
  ['Letters from Thomas and Sons and from Thomas & Sons arrived', []],
  [
    'Ask Sandra Hamaguchi\u00a0Consulting or Sandra Hamaguchi said no',
    [
      ['PERSON', 4, 10, 0.75],
      ['PERSON', 11, 20, 0.75],
      ['PERSON', 35, 51, 0.9],
    ],
  ],
  [
    'Mary Jones  Inc. and Mary Jones, who called',
    [
      ['PERSON', 0, 4, 0.75],
      ['PERSON', 5, 10, 0.75],
      ['PERSON', 21, 31, 0.95],
    ],
  ],
  ['RT @user: @other mail me at first.last+tag@mail.example.io today', [['EMAIL_ADDRESS', 28, 58, 0.95]]],
  ['@bob @alice see you @ 5', []],
  [
    'server 10.0.0.1 and v1.2.3.4 and 3.5 stars, login from 192.168.12.7:8080',
    [
      ['IP_ADDRESS', 7, 15, 0.95],
      ['IP_ADDRESS', 55, 67, 0.95],
    ],
  ],
];

describe('PII detector shortcuts keep every finding', () => {
  it.each(CASES)('%j', (text, expected) => {
    expect(detectPii(text).map((f) => [f.type, f.start, f.end, f.confidence])).toEqual(expected);
  });

  it('answers the same for a word seen in another case first', () => {
    const first = detectPii('Dear SANDRA, thanks').map((f) => f.text);
    const again = detectPii('Dear Sandra, thanks').map((f) => f.text);
    expect(first).toEqual(['SANDRA']);
    expect(again).toEqual(['Sandra']);
  });
});
