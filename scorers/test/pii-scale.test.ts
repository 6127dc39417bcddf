import { afterEach, describe, expect, it, vi } from 'vitest';
import { detectAddresses } from '../src/pii/addresses.ts';
import { detectPii, type PiiFinding, resolveOverlaps } from '../src/pii/index.ts';
import { detectPersons } from '../src/pii/names.ts';
import { detectSecrets } from '../src/pii/secrets.ts';
import { inWorker, stopWorkers } from './helpers/in-worker.ts';

/**
 * Characters that `indexOf` and `lastIndexOf` on strings walk over while `run` runs: the
 * detectors' own scans, counted instead of timed so the figure does not depend on the machine.
 */
function charactersSearched(run: () => void): number {
  let walked = 0;
  const indexOf = String.prototype.indexOf;
  const lastIndexOf = String.prototype.lastIndexOf;
  vi.spyOn(String.prototype, 'indexOf').mockImplementation(function (this: string, search, from) {
    const start = Math.max(0, Math.min(this.length, from ?? 0));
    const at = indexOf.call(this, search, from);
    walked += (at === -1 ? this.length : at) - start;
    return at;
  });
  vi.spyOn(String.prototype, 'lastIndexOf').mockImplementation(function (this: string, search, from) {
    const start = Math.max(0, Math.min(this.length, from ?? this.length));
    const at = lastIndexOf.call(this, search, from);
    walked += start - (at === -1 ? 0 : at);
    return at;
  });
  run();
  vi.restoreAllMocks();
  return walked;
}

afterEach(async () => {
  vi.restoreAllMocks();
  await stopWorkers();
});

const header = '-----BEGIN RSA PRIVATE KEY-----\n';
const key = `${header}MIIEpAIBAAKCAQEA7b3m9xqZ4t1Lw8\n-----END RSA PRIVATE KEY-----`;

describe('PII detection on long text', () => {
  it('finds the line start of each number without rescanning the line', () => {
    // One 80k-character line of numbers: looking back to the line start from each number walked ~1.6e9 characters.
    const text = `${'1 '.repeat(40_000)}Ich wohne in der Hauptstraße 5.`;
    const out: PiiFinding[] = [];
    const walked = charactersSearched(() => detectAddresses(text, out));
    expect(walked).toBeLessThanOrEqual(2 * text.length);
    expect(out.map((f) => [f.type, f.text])).toEqual([['STREET_ADDRESS', 'Hauptstraße 5']]);
  });

  it('still finds named streets among numbers on one line', () => {
    const text = `${'7 '.repeat(500)}Rue de Rivoli 12 ${'3 '.repeat(500)}\n4 5 Hauptstraße 9 6`;
    const out: PiiFinding[] = [];
    detectAddresses(text, out);
    // Other address forms match around them too; these two come from the named-street pass alone.
    expect(out.map((f) => f.text)).toEqual(expect.arrayContaining(['Hauptstraße 9', 'Rue de Rivoli 12']));
  });

  it('ends a private key block at the next header and reads each footer once', () => {
    // Thousands of headers without a footer: the lazy BEGIN…END pattern ran to the end of the text from each.
    const text = `${header.repeat(3000)}${key}\nthen ${header.repeat(3000)}`;
    const out: PiiFinding[] = [];
    const walked = charactersSearched(() => detectSecrets(text, out));
    expect(walked).toBeLessThanOrEqual(2 * text.length);
    expect(out).toEqual([
      {
        type: 'SECRET',
        start: header.length * 3000,
        end: header.length * 3000 + key.length,
        text: key,
        confidence: 0.97,
        validator: 'private_key_block',
      },
    ]);
  });

  it('finds every complete private key block and no cut-off one', () => {
    const text = `first ${key}\n${header}cut off here\n${key}\n${header.repeat(2)}`;
    const found = detectPii(text).filter((f) => f.validator === 'private_key_block');
    expect(found.map((f) => [f.start, f.text])).toEqual([
      [6, key],
      [text.lastIndexOf(key), key],
    ]);
  });

  it('takes no footer of another kind or one too close to the header', () => {
    const text = `${header}short\n-----END RSA PRIVATE KEY-----\n${header}MIIEpAIBAAKCAQEA7b3m9xqZ4t1Lw8\n-----END CERTIFICATE-----`;
    expect(detectPii(text).filter((f) => f.validator === 'private_key_block')).toEqual([]);
  });

  it('reads a run of "eyJ" with no token in it once, not once per "eyJ"', async () => {
    // Tried from each "eyJ", the token pattern read on to the end of the run: 100 KB took 5 s,
    // this 400 KB well over the test timeout. Run apart, so a timeout can end it.
    const text = `${'eyJ-'.repeat(100_000)} and a token`;
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6y';
    const found = await inWorker<PiiFinding[]>(
      new URL('../src/pii/index.ts', import.meta.url),
      'detectPii',
      `${text} ${jwt}`,
    );
    expect(found.map((f) => [f.start, f.validator])).toEqual([[text.length + 1, 'jwt_header']]);
  });

  it('finds a known name again in a text of names without searching every finding for each', () => {
    // Each name found reads as a name everywhere; each of its words checked every finding
    // for one holding it: 2 words × 20,000 findings × up to 20,000 findings.
    const text = 'Anna Smith. '.repeat(20_000);
    const out: PiiFinding[] = [];
    let tested = 0;
    const some = Array.prototype.some;
    vi.spyOn(Array.prototype, 'some').mockImplementation(function <T>(
      this: T[],
      predicate: (value: T, index: number, array: T[]) => unknown,
    ) {
      return some.call(this, (value: T, index: number, array: T[]) => {
        tested++;
        return predicate(value, index, array);
      });
    });
    detectPersons(text, out);
    vi.restoreAllMocks();
    expect(tested).toBeLessThan(20 * 40_000);
    expect(out).toHaveLength(20_000);
    expect(out.every((f) => f.text === 'Anna Smith' && f.confidence >= 0.7)).toBe(true);
  });

  it('settles overlaps among thousands of findings without testing each against every kept one', () => {
    // A log of 5,000 addresses, each tested against all kept before it: 12.5M tests.
    const ips: PiiFinding[] = Array.from({ length: 5_000 }, (_, i) => ({
      type: 'IP_ADDRESS',
      start: i * 9,
      end: i * 9 + 8,
      text: '10.0.0.1',
      confidence: i % 2 === 0 ? 0.85 : 0.95,
    }));
    // One phone number across two of them, less certain: it loses to both.
    const phone: PiiFinding = {
      type: 'PHONE_NUMBER',
      start: 13,
      end: 22,
      text: '1 10.0.0.',
      confidence: 0.35,
    };
    let tested = 0;
    const every = Array.prototype.every;
    vi.spyOn(Array.prototype, 'every').mockImplementation(function <T>(
      this: T[],
      predicate: (value: T, index: number, array: T[]) => unknown,
    ) {
      return every.call(this, (value: T, index: number, array: T[]) => {
        tested++;
        return predicate(value, index, array);
      });
    });
    const kept = resolveOverlaps([phone, ...ips]);
    vi.restoreAllMocks();
    expect(tested).toBeLessThan(10 * 5_000);
    expect(kept).toEqual(ips);
  });
});
