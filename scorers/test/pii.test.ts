import { describe, expect, it } from 'vitest';
import {
  detectPii,
  ibanValid,
  luhnValid,
  maskPii,
  type PiiFinding,
  piiScorer,
  ssnValid,
} from '../src/pii/index.ts';

const types = (text: string, min = 0.5) =>
  detectPii(text, { minConfidence: min }).map((f) => `${f.type}:${f.text}`);

describe('checksums', () => {
  it('validates Luhn', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
  });
  it('validates IBAN mod 97 and country length', () => {
    expect(ibanValid('GB82WEST12345698765432')).toBe(true);
    expect(ibanValid('GB82WEST12345698765433')).toBe(false);
    expect(ibanValid('GB82WEST1234569876543')).toBe(false);
    expect(ibanValid('DE89370400440532013000')).toBe(true);
  });
  it('applies SSA ranges', () => {
    expect(ssnValid('123', '45', '6789')).toBe(true);
    for (const [a, g, s] of [
      ['000', '12', '3456'],
      ['666', '12', '3456'],
      ['912', '12', '3456'],
      ['123', '00', '4567'],
      ['123', '45', '0000'],
    ]) {
      expect(ssnValid(a as string, g as string, s as string)).toBe(false);
    }
  });
});

describe('structured entities', () => {
  it('finds emails', () => {
    expect(types('Write to jane.doe+news@mail.example.co.uk today')).toEqual([
      'EMAIL_ADDRESS:jane.doe+news@mail.example.co.uk',
    ]);
  });
  it('finds Luhn-valid cards with separators and skips failing numbers', () => {
    expect(types('My card 4111 1111 1111 1111 expires soon')).toEqual(['CREDIT_CARD:4111 1111 1111 1111']);
    expect(types('card 5500-0000-0000-0004')).toEqual(['CREDIT_CARD:5500-0000-0000-0004']);
    expect(types('order 4111 1111 1111 1112 shipped').filter((t) => t.startsWith('CREDIT_CARD'))).toEqual([]);
  });
  it('finds a card written right after a date', () => {
    expect(types('2026-12-06 4111 1111 1111 1111 charged')).toEqual(['CREDIT_CARD:4111 1111 1111 1111']);
    expect(maskPii('paid 2026-12-06 5500 0000 0000 0004')).toBe('paid 2026-12-06 <CREDIT_CARD>');
    expect(types('2026-12-06 4111 1111 1111 1112', 0)).toEqual([]);
  });
  it('finds SSNs only in valid ranges', () => {
    expect(types('SSN: 123-45-6789')).toEqual(['US_SSN:123-45-6789']);
    expect(types('SSN: 666-45-6789')).toEqual([]);
    expect(types('SSN: 923-45-6789')).toEqual([]);
    expect(types('SSN: 123-00-6789')).toEqual([]);
    expect(types('my social security number is 123456789')).toEqual(['US_SSN:123456789']);
    expect(types('the total was 123456789 units')).toEqual([]);
  });
  it('finds IBANs with a valid checksum, spaced or not, and rejects a bad one', () => {
    expect(types('IBAN GB82 WEST 1234 5698 7654 32 please')).toEqual([
      'IBAN_CODE:GB82 WEST 1234 5698 7654 32',
    ]);
    expect(types('send it to de89370400440532013000')).toEqual(['IBAN_CODE:de89370400440532013000']);
    expect(types('IBAN GB82WEST12345698765433')).toEqual([]);
  });
  it('tells IP addresses from version strings', () => {
    expect(types('blocked from 172.61.42.192 again')).toEqual(['IP_ADDRESS:172.61.42.192']);
    expect(types('upgrade to version 1.2.3.4 now')).toEqual([]);
    expect(types('see section 1.2.3.4 of the spec')).toEqual([]);
    expect(types('the server at 1.2.3.4 is down')).toEqual(['IP_ADDRESS:1.2.3.4']);
    expect(types('octets 300.1.2.3 are not valid')).toEqual([]);
    expect(types('host 2001:db8::8a2e:370:7334 answered')).toEqual(['IP_ADDRESS:2001:db8::8a2e:370:7334']);
    expect(types('meeting at 12:30:45 today')).toEqual([]);
  });
  it('finds phone numbers by format or context, not every digit group', () => {
    expect(types('Call me on +44 20 7946 0958 tomorrow')).toEqual(['PHONE_NUMBER:+44 20 7946 0958']);
    expect(types('Phone: 0487 98 11 92')).toEqual(['PHONE_NUMBER:0487 98 11 92']);
    expect(types('reach me at (415) 555-2671')).toEqual(['PHONE_NUMBER:(415) 555-2671']);
    expect(types('It cost $1 299 000 in 2019')).toEqual([]);
    expect(types('released on 2012-10-01')).toEqual([]);
  });
  it('reads an unbroken run of digits as a phone number only right after a word for a phone', () => {
    expect(types('my phone number is 4155550132')).toEqual(['PHONE_NUMBER:4155550132']);
    expect(types('phone: 4155550132')).toEqual(['PHONE_NUMBER:4155550132']);
    expect(types('text me on 07700900123 after six')).toEqual(['PHONE_NUMBER:07700900123']);
    expect(types('call me: 0612345678')).toEqual(['PHONE_NUMBER:0612345678']);
    expect(types('Telefon: 0301234567')).toEqual(['PHONE_NUMBER:0301234567']);
    expect(detectPii('phone: 4155550132')[0]?.confidence).toBe(0.8);
    // The same runs are order, tracking and account numbers as often.
    expect(types('4155550132')).toEqual([]);
    expect(types('Your order number is 4155550132')).toEqual([]);
    expect(types('tracking number: 123456789012')).toEqual([]);
    expect(types('the text is 1234567890 characters long')).toEqual([]);
    expect(types('call me about invoice 4155550132')).toEqual([]);
    expect(types('phone: 12345678901234')).toEqual([]);
    // A list after the cue is phones too; an amount is not, whatever came before it.
    expect(types('Phone: 0612345678, 0698765432')).toEqual([
      'PHONE_NUMBER:0612345678',
      'PHONE_NUMBER:0698765432',
    ]);
    expect(types('call me on 0612345678 or 0698765432')).toEqual([
      'PHONE_NUMBER:0612345678',
      'PHONE_NUMBER:0698765432',
    ]);
    expect(types('phone, 123456789 EUR')).toEqual([]);
    expect(types('Phone: 0612345678 and 1234567890 characters')).toEqual(['PHONE_NUMBER:0612345678']);
    expect(types('Phone: 0612345678, 123456789 units shipped')).toEqual(['PHONE_NUMBER:0612345678']);
    expect(types('phone: 0612345678, paid 123456789 EUR')).toEqual(['PHONE_NUMBER:0612345678']);
  });
  it('does not read date-time stamps or epoch times as phone numbers, even after "call"', () => {
    // A date and time as one run, to the minute or the second.
    expect(types('the call at 202612061030 failed', 0)).toEqual([]);
    expect(types('call 199912310000', 0)).toEqual([]);
    expect(types('the call at 20261206103000 failed', 0)).toEqual([]);
    // Epoch seconds and milliseconds: a 1 opens no phone number ten or 13 digits long.
    expect(types('call at 1733480000', 0)).toEqual([]);
    expect(types('tool call at 1733480000 returned', 0)).toEqual([]);
    expect(types('last_call: 1733480000', 0)).toEqual([]);
    expect(types('call at 1733480000000', 0)).toEqual([]);
    // Twelve digits opening with 1 are too many for the North American plan, the only one that
    // opens a number that long with 1.
    expect(types('call at 123412341234', 0)).toEqual([]);
    // A date with its time, or digits a colon ties to a clock time.
    expect(types('call at 2026-12-06 10:30 failed', 0)).toEqual([]);
    expect(types('started 2026-12-06 10:30:00, call me', 0)).toEqual([]);
    expect(types('call at 06.12.2026 10:30', 0)).toEqual([]);
    expect(types('call at 2026.12.06 10.30', 0)).toEqual([]);
    expect(types('call 10:30 2026-12-06', 0)).toEqual([]);
    expect(types('call at 10:30:00.123456', 0)).toEqual([]);
    // A number after a date is read on its own, not lost with the date.
    expect(types('2026-12-06 020 7946 0958 called', 0)).toEqual(['PHONE_NUMBER:020 7946 0958']);
    expect(types('06.12.2026 0412 345 678 rang', 0)).toEqual(['PHONE_NUMBER:0412 345 678']);
    expect(types('2026-12-06 07700 900123 rang', 0)).toEqual(['PHONE_NUMBER:07700 900123']);
    // Order numbers stay out as before.
    expect(types('call about order 987654321012', 0)).toEqual([]);
    expect(types('Your order number is 1733480000, call us', 0)).toEqual([]);
    expect(maskPii('Call me at 4155550123 about the call at 202612061030.')).toBe(
      'Call me at <PHONE_NUMBER> about the call at 202612061030.',
    );
  });
  it('still finds real phone numbers after a call cue, with or without formatting', () => {
    expect(types('call +14155550123')).toEqual(['PHONE_NUMBER:+14155550123']);
    expect(types('call +44 20 7946 0958')).toEqual(['PHONE_NUMBER:+44 20 7946 0958']);
    expect(types('call me at 415-555-0123')).toEqual(['PHONE_NUMBER:415-555-0123']);
    expect(types('call me at (415) 555-0123')).toEqual(['PHONE_NUMBER:(415) 555-0123']);
    expect(types('call me at 415.555.0123')).toEqual(['PHONE_NUMBER:415.555.0123']);
    expect(types('phone: 020 7946 0958')).toEqual(['PHONE_NUMBER:020 7946 0958']);
    expect(types('call me at 4155550123')).toEqual(['PHONE_NUMBER:4155550123']);
    expect(types('call me at 14155550123')).toEqual(['PHONE_NUMBER:14155550123']);
    expect(types('call me at 07700900123')).toEqual(['PHONE_NUMBER:07700900123']);
    // A ten-digit run that is also a date to the hour is a valid North American number: kept.
    expect(types('call 2026120610')).toEqual(['PHONE_NUMBER:2026120610']);
    // Ten digits opening with 1 after a word that names the phone: a São Paulo landline without
    // its trunk 0, an Egyptian mobile; a stamp there is a number too (Egypt's +20 10 ...).
    expect(types('Telefone: 1123456789')).toEqual(['PHONE_NUMBER:1123456789']);
    expect(types('my phone number is 1012345678')).toEqual(['PHONE_NUMBER:1012345678']);
    expect(types('mobile: 201001150830')).toEqual(['PHONE_NUMBER:201001150830']);
    expect(types('phone call at 1733480000', 0)).toEqual([]);
    expect(types('mobile: 123412341234', 0)).toEqual([]);
    // E.164 without its '+', 13 digits: a São Paulo or Chinese mobile; epoch milliseconds stay out.
    expect(types('whatsapp 5511912345678')).toEqual(['PHONE_NUMBER:5511912345678']);
    expect(types('tel: 8613800138000')).toEqual(['PHONE_NUMBER:8613800138000']);
    expect(types('call at 1733480000123', 0)).toEqual([]);
    // A Kraków number opens with 1 and is nine digits.
    expect(types('Telefon: 123456789')).toEqual(['PHONE_NUMBER:123456789']);
    expect(types('call at 12:30, phone 0612345678')).toEqual(['PHONE_NUMBER:0612345678']);
  });
  it('finds UK five-digit codes and the North American 1 before the area code', () => {
    expect(types('my mobile is 07700 900123')).toEqual(['PHONE_NUMBER:07700 900123']);
    expect(types('phone: 01632 960123')).toEqual(['PHONE_NUMBER:01632 960123']);
    expect(types('phone: (01632) 960123')).toEqual(['PHONE_NUMBER:(01632) 960123']);
    expect(types('dial 1-800-555-0199 now')).toEqual(['PHONE_NUMBER:1-800-555-0199']);
    expect(types('call 1.800.555.0199')).toEqual(['PHONE_NUMBER:1.800.555.0199']);
    expect(types('call 1 (800) 555-0199')).toEqual(['PHONE_NUMBER:1 (800) 555-0199']);
    // As often written: the six digits split 3-3, the 1 against the parenthesis.
    expect(types('my mobile is 07700 900 123')).toEqual(['PHONE_NUMBER:07700 900 123']);
    expect(types('phone: (01632) 960 123')).toEqual(['PHONE_NUMBER:(01632) 960 123']);
    expect(types('call 1(800)555-0199')).toEqual(['PHONE_NUMBER:1(800)555-0199']);
    expect(maskPii('dial 1-800-555-0199', undefined, { partial: true })).toBe('dial *******0199');
    // Not before other shapes, nor a ZIP code before a number.
    expect(types('items 1-2-3-4567', 0)).toEqual([]);
    expect(types('Cambridge, MA 02139 617-555-0123')).toEqual(['PHONE_NUMBER:617-555-0123']);
  });
  it('reads no zero-padded id before a number as a five-digit area code', () => {
    // 00 opens the international prefix, never an area code; maskPii masks even 0.35 findings.
    expect(types('rows 00001 123456 and 00012 345678', 0)).toEqual([]);
    expect(maskPii('ref (00042) 100001')).toBe('ref (00042) 100001');
    expect(types('phone: 0044 20 7946 0958')).toEqual(['PHONE_NUMBER:0044 20 7946 0958']);
  });
  it('finds a number with its extension run on ("x4567")', () => {
    expect(types('call 415-555-0123x4567')).toEqual(['PHONE_NUMBER:415-555-0123']);
    expect(types('call 001-415-555-0123x4567')).toEqual(['PHONE_NUMBER:001-415-555-0123']);
    expect(types('phone: (415)555-0123x12')).toEqual(['PHONE_NUMBER:(415)555-0123']);
    expect(types('phone: +14155550123x12')).toEqual(['PHONE_NUMBER:+14155550123']);
    expect(types('phone: 4155550123x12')).toEqual(['PHONE_NUMBER:4155550123']);
    expect(types('tel 07700 900123x5')).toEqual(['PHONE_NUMBER:07700 900123']);
    // Not a word going on: "0123xyz" is no number ending at 0123.
    expect(types('call 415-555-0123xyz', 0)).toEqual([]);
  });
  it('reads a bare number under a phone key of JSON or XML', () => {
    // Tool-call arguments carry numbers as digits only, keyed by the field's name.
    expect(types('{"phone":"4155550123"}')).toEqual(['PHONE_NUMBER:4155550123']);
    expect(types('{"phone_number": "4155550123", "name": "x"}')).toEqual(['PHONE_NUMBER:4155550123']);
    expect(types('{"phoneNumber":4155550123}')).toEqual(['PHONE_NUMBER:4155550123']);
    expect(types("{'mobile_no': '07700900123'}")).toEqual(['PHONE_NUMBER:07700900123']);
    expect(types('<tel>0612345678</tel>')).toEqual(['PHONE_NUMBER:0612345678']);
    expect(types('{"phone_number": "415-555-0123"}')).toEqual(['PHONE_NUMBER:415-555-0123']);
    expect(detectPii('{"phone_number": "415-555-0123"}')[0]?.confidence).toBeGreaterThan(0.9);
    // Other keys, and a call's time, stay out.
    expect(types('{"call_id":"4155550123","order":"4155550123"}', 0)).toEqual([]);
    expect(types('{"phone": null, "alt": "4155550123"}', 0)).toEqual([]);
    expect(types('{"phone_verified_at": 1733480000, "call_at": 1733480000}', 0)).toEqual([]);
  });
  it('reads the whole number after a country code, whatever its first group', () => {
    // One digit (Paris or French mobiles, Dutch mobiles, Tokyo, an Argentine mobile's 9) or five
    // (Indian mobiles) after the code: the number was missed, or found without its first digits.
    expect(types('phone +33 6 12 34 56 78')).toEqual(['PHONE_NUMBER:+33 6 12 34 56 78']);
    expect(types('+33 (0)1 23 45 67 89')).toEqual(['PHONE_NUMBER:+33 (0)1 23 45 67 89']);
    expect(types('mobiel: +31 6 12345678')).toEqual(['PHONE_NUMBER:+31 6 12345678']);
    expect(types('TEL +81 3-1234-5678')).toEqual(['PHONE_NUMBER:+81 3-1234-5678']);
    expect(types('phone +54 9 11 1234-5678')).toEqual(['PHONE_NUMBER:+54 9 11 1234-5678']);
    expect(types('call +91 98765 43210')).toEqual(['PHONE_NUMBER:+91 98765 43210']);
    expect(maskPii('ring +91 98765 43210 today')).toBe('ring <PHONE_NUMBER> today');
  });
  it('takes no-break spaces and non-breaking hyphens as separators', () => {
    expect(types('card 4111\u00a01111\u00a01111\u00a01111')).toEqual([
      'CREDIT_CARD:4111\u00a01111\u00a01111\u00a01111',
    ]);
    expect(types('card 4111\u202f1111\u202f1111\u202f1111')).toEqual([
      'CREDIT_CARD:4111\u202f1111\u202f1111\u202f1111',
    ]);
    // Hyphenated without a cue, as an ASCII-hyphenated SSN is.
    expect(types('id 123\u201145\u20116789')).toEqual(['US_SSN:123\u201145\u20116789']);
    expect(types('ssn 123\u00a045\u00a06789')).toEqual(['US_SSN:123\u00a045\u00a06789']);
    expect(types('Tel. 030\u2011123\u20114567')).toEqual(['PHONE_NUMBER:030\u2011123\u20114567']);
    // Still one kind of separator a number.
    expect(types('4111\u00a01111-1111\u20111111')).toEqual([]);
  });
  it('needs a cue for driver licences', () => {
    expect(types("my driver's license number is D1234567")).toEqual(['US_DRIVER_LICENSE:D1234567']);
    expect(types('part D1234567 is in stock')).toEqual([]);
  });
});

describe('secrets', () => {
  const secret = (text: string) => detectPii(text, { types: ['SECRET'] });
  it('finds provider keys and skips placeholders', () => {
    expect(
      secret('export OPENAI_API_KEY=sk-proj-4fG7hK2mQ9xZ1vB8nR3tY6wE0pL5sD7a')[0]?.validator,
    ).toBeDefined();
    expect(secret('set your key: sk-...your-key-here...')).toEqual([]);
    expect(secret('key sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxx')).toEqual([]);
    expect(secret('AKIAIOSFODNN7EXAMPLE')).toEqual([]);
    expect(secret('aws AKIAZ3MXQ7B2KD5RTW4Y')[0]?.validator).toBe('aws_access_key');
    expect(secret('token ghp_1aB2cD3eF4gH5iJ6kL7mN8oP9qR0sT1uV2wX3')[0]?.validator).toBe('github_token');
  });
  it('validates JWT headers', () => {
    const header = btoa('{"alg":"HS256","typ":"JWT"}').replace(/=+$/, '');
    const payload = btoa('{"sub":"1234567890","name":"x"}').replace(/=+$/, '');
    const jwt = `${header}.${payload}.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c`;
    expect(secret(`Authorization header: ${jwt}`)[0]?.validator).toBe('jwt_header');
    expect(secret('eyJub3RqdWR1.eyJzdWIiOiIxIn0.abcdefghijklmnopqrstu')).toEqual([]);
  });
  it('finds high-entropy assignments and PEM blocks, not plain words', () => {
    expect(secret('password = "Tr0ub4dor&3x!Qz"')[0]?.text).toBe('Tr0ub4dor&3x!Qz');
    expect(secret('password = "changeme"')).toEqual([]);
    expect(secret('api_key: <YOUR_API_KEY>')).toEqual([]);
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7b3m9xq\n-----END RSA PRIVATE KEY-----';
    expect(secret(`key:\n${pem}`)[0]?.validator).toBe('private_key_block');
  });
  it('never stores the secret in scorer evidence', () => {
    const r = piiScorer.score('OPENAI_API_KEY=sk-proj-4fG7hK2mQ9xZ1vB8nR3tY6wE0pL5sD7a');
    expect(r.flagged).toBe(true);
    expect(r.evidence[0]?.text).not.toContain('4fG7hK2mQ9');
    expect(r.evidence[0]?.kind).toBe('SECRET');
  });
});

describe('names and addresses', () => {
  it('finds names from gazetteer and cues', () => {
    expect(types('My name is Ludmiła')).toContain('PERSON:Ludmiła');
    expect(types('Please ask Sandra Johnson to call back')).toContain('PERSON:Sandra Johnson');
    expect(types('Dear Mr. Okonkwo, thank you')).toContain('PERSON:Okonkwo');
    expect(types('Chise T. Horiguchi will be talking')).toContain('PERSON:Chise T. Horiguchi');
  });
  it('does not take capitalised words, places or months for names', () => {
    expect(types('Capitalized words like Wisdom and Discipline are often mistaken with names.')).toEqual([]);
    expect(types('Canada was super fun to visit!')).toEqual([]);
    expect(types('May I ask a question about my account?')).toEqual([]);
    expect(types('The invoice is due in May.')).toEqual([]);
    expect(types('The Princess Royal arrived this morning.')).toEqual([]);
    expect(types('Allstate Insurance Group invested heavily.')).toEqual([]);
    expect(types('Please Reset My Password')).toEqual([]);
  });
  it('reads "May" as a name after a strong cue', () => {
    expect(types('Her name is May')).toContain('PERSON:May');
  });
  it('finds street addresses in several grammars', () => {
    expect(
      types('Ship it to 1737 Cheriton Dr, Apt. 5 please').some((t) =>
        t.startsWith('STREET_ADDRESS:1737 Cheriton Dr'),
      ),
    ).toBe(true);
    expect(types('I live at Hauptstraße 5 in Berlin')).toContain('STREET_ADDRESS:Hauptstraße 5');
    expect(types('Meet me at 12 Rue de la Paix')).toContain('STREET_ADDRESS:12 Rue de la Paix');
    expect(types('Meet me at 12 Rue de la Paix tomorrow')).toContain('STREET_ADDRESS:12 Rue de la Paix');
    expect(types('Send it to PO Box 1234')).toContain('STREET_ADDRESS:PO Box 1234');
    expect(types('I have 3 cats and 2 dogs')).toEqual([]);
    expect(types('During 2017 sales grew')).toEqual([]);
  });
});

describe('maskPii', () => {
  it('replaces findings with type tags', () => {
    expect(maskPii('Mail jane@corp.io or call +44 20 7946 0958')).toBe(
      'Mail <EMAIL_ADDRESS> or call <PHONE_NUMBER>',
    );
  });
  it('keeps the last four digits when partial', () => {
    expect(maskPii('card 4111 1111 1111 1111 ok', undefined, { partial: true })).toBe(
      'card ************1111 ok',
    );
  });
  it('resolves overlapping findings and uses a custom replacer', () => {
    const text = 'id 4111111111111111 end';
    const findings: PiiFinding[] = [
      { type: 'PHONE_NUMBER', start: 3, end: 11, text: '41111111', confidence: 0.4 },
      { type: 'CREDIT_CARD', start: 3, end: 19, text: '4111111111111111', confidence: 0.9 },
    ];
    expect(maskPii(text, findings)).toBe('id <CREDIT_CARD> end');
    expect(maskPii(text, findings, { replacer: (f) => `[${f.type.toLowerCase()}]` })).toBe(
      'id [credit_card] end',
    );
  });
  it('leaves text without PII unchanged', () => {
    expect(maskPii('nothing to see here')).toBe('nothing to see here');
  });
  it('skips a finding that is no range instead of writing the text again unmasked', () => {
    // The guard hands a custom scorer's evidence on as findings; NaN offsets or an end before
    // the start moved the cursor back: "Call <PERSON><PERSON>Call Anna at 555-0100 now".
    const text = 'Call Anna at 555-0100 now';
    const f = (type: PiiFinding['type'], start: number, end: number): PiiFinding => ({
      type,
      start,
      end,
      text: text.slice(start, end),
      confidence: 0.9,
    });
    const good = [f('PERSON', 5, 9), f('PHONE_NUMBER', 13, 21)];
    for (const bad of [f('PERSON', Number.NaN, Number.NaN), f('PERSON', 9, 5), f('PERSON', 0, Number.NaN)])
      expect(maskPii(text, [...good, bad])).toBe('Call <PERSON> at <PHONE_NUMBER> now');
  });
});

describe('piiScorer', () => {
  it('keeps the scorer contract', () => {
    const r = piiScorer.score('Contact Sandra Johnson at sandra.johnson@acme.io or sandra@acme.io');
    expect(r).toMatchObject({
      name: 'pii',
      label: 'pii',
      flagged: true,
      threshold: piiScorer.threshold,
      version: piiScorer.version,
    });
    expect(r.score).toBeGreaterThanOrEqual(0.9);
    expect(r.explanation).toBe('EMAIL_ADDRESS ×2, PERSON ×1');
    expect(r.evidence.map((e) => e.kind)).toEqual(['PERSON', 'EMAIL_ADDRESS', 'EMAIL_ADDRESS']);
    expect(r.evidence[1]).toMatchObject({ start: 26, end: 48, text: 'sandra.johnson@acme.io' });
  });
  it('labels clean text no_pii with score 0', () => {
    const r = piiScorer.score('Could I change the payment due date of my credit card?');
    expect(r).toMatchObject({ label: 'no_pii', flagged: false, score: 0, explanation: 'no PII found' });
  });
});

describe('email search near each @', () => {
  it('finds the same addresses as a whole-text search, at the right offsets', () => {
    const filler = 'word '.repeat(60);
    const text = `${filler}write to anna.k@example.org or to x@y.io; ${filler}ops@corp.co.uk.`;
    expect(types(text, 0).filter((t) => t.startsWith('EMAIL'))).toEqual([
      'EMAIL_ADDRESS:anna.k@example.org',
      'EMAIL_ADDRESS:x@y.io',
      'EMAIL_ADDRESS:ops@corp.co.uk',
    ]);
  });

  it('keeps a local part that is too long out, even when the window starts inside it', () => {
    expect(types(`${'a'.repeat(90)}@mail.com`, 0)).toEqual([]);
  });

  it('finds an address whose domain runs past the window', () => {
    const domain = `${'sub.'.repeat(70)}example.com`;
    expect(types(`mail me at ab@${domain} please`, 0)).toEqual([`EMAIL_ADDRESS:ab@${domain}`]);
  });

  it('finds an address that starts near where the search for the one before stopped', () => {
    // Windows of 256 characters after each @, each starting where the one before ended, began
    // inside this address's local part when it stood about 240 characters on, and lost it.
    const second = 'john.smith@company.com';
    for (let gap = 200; gap < 300; gap++) {
      const text = `Mail a@b.io or ${'x'.repeat(gap)} ${second} thanks`;
      const emails = types(text, 0).filter((t) => t.startsWith('EMAIL'));
      expect([gap, emails]).toEqual([gap, ['EMAIL_ADDRESS:a@b.io', `EMAIL_ADDRESS:${second}`]]);
    }
  });

  it('finds and masks addresses written in letters beyond ASCII, whole', () => {
    // ASCII-only, "müller@firma.de" was found from "ller" on and masked as "mü<EMAIL_ADDRESS>".
    for (const address of [
      'müller@firma.de',
      'josé.garcía@empresa.es',
      'andré@example.fr',
      'Jürgen.Groß@example.de',
      '张伟@example.cn',
      'anna@münchen.de',
      'ivan@почта.рф',
    ]) {
      const text = `Schreib an ${address} bitte`;
      expect(types(text, 0)).toEqual([`EMAIL_ADDRESS:${address}`]);
      expect(maskPii(text)).toBe('Schreib an <EMAIL_ADDRESS> bitte');
    }
    // Still no address without a dotted domain, or inside a word's run of letters and dots.
    expect(types('café@home and Straße@5', 0)).toEqual([]);
  });

  it('ends a domain where a whole-text search does, past the first 256 characters', () => {
    // Cut by a window's end inside its last label ("…s.co.u"), it matched as the shorter "…s.co".
    for (let labels = 120; labels < 130; labels++) {
      const domain = `${'s.'.repeat(labels)}co.uk`;
      expect(types(`write ab@${domain} now`, 0)).toEqual([`EMAIL_ADDRESS:ab@${domain}`]);
    }
  });
});
