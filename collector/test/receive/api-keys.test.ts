import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApiKeys } from '../../src/receive/api-keys.ts';

/**
 * `--api-keys` as an operator gets it wrong: each mistake is one line that
 * says what to fix, and none of them prints a key.
 */
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'oversight-api-keys-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function keyFile(name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

describe('parseApiKeys', () => {
  it('reads inline pairs and a YAML key file alike', async () => {
    expect(parseApiKeys('k3y-payments=payments, k3y-search=search')).toEqual(
      new Map([
        ['k3y-payments', 'payments'],
        ['k3y-search', 'search'],
      ]),
    );
    const file = await keyFile('keys.yaml', 'keys:\n  k3y-payments: payments\n');
    expect(parseApiKeys(file)).toEqual(new Map([['k3y-payments', 'payments']]));
  });

  it('says a key file that is not there is missing, not that it lacks "="', () => {
    const missing = path.join(dir, 'nope.yaml');
    expect(() => parseApiKeys(missing)).toThrow(
      `API keys: "${missing}" is neither key=project pairs nor an existing key file`,
    );
    // A lone key pasted in its place is not echoed.
    expect(() => parseApiKeys('sk-live-secret-key')).toThrow(
      /^API keys: is neither key=project pairs nor an existing key file$/,
    );
    // A base64 key (openssl rand -base64 24) often holds a '/': still not echoed.
    for (const key of ['q7Zt/9kLm+2xWv0s/Hb4RyPe1cNa6uJd', '/7Zt9kLm+2xWv0sHb4RyPe1cNa6uJdQw'])
      expect(() => parseApiKeys(key)).toThrow(
        /^API keys: is neither key=project pairs nor an existing key file$/,
      );
    // A path without an extension, in a directory that exists, is named.
    const bare = path.join(dir, 'keys');
    expect(() => parseApiKeys(bare)).toThrow(`API keys: "${bare}" is neither`);
  });

  it('names a bad inline pair by position, never by its text, and skips empty ones', () => {
    const attempt = (spec: string) => {
      try {
        parseApiKeys(spec);
        return 'accepted';
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(attempt('k3y-payments=payments,secret-key-two:search')).toBe(
      'API keys: pair 2 is not key=project',
    );
    expect(attempt('k3y-payments=payments,tiny=search')).toBe(
      'API keys: keys must be at least 8 characters (pair 2)',
    );
    // A template's unset part leaves an empty pair behind.
    expect(parseApiKeys('k3y-payments=payments,, ')).toEqual(new Map([['k3y-payments', 'payments']]));
  });

  it('refuses one key given for two projects, which would file one app under the other', () => {
    expect(() => parseApiKeys('shared-secret-key=payments,shared-secret-key=search')).toThrow(
      /^API keys: pair 2 gives a key already given for another project$/,
    );
    expect(parseApiKeys('shared-secret-key=payments,shared-secret-key=payments').size).toBe(1);
  });

  it('names the file of a YAML error in one line, without the lines of keys around it', async () => {
    const file = await keyFile('broken.yaml', 'keys:\n  secret-key-one: a\n secret-key-two: : b\n');
    let message = '';
    try {
      parseApiKeys(file);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(
      new RegExp(`^API key file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not YAML or JSON: \\S`),
    );
    expect(message).not.toContain('\n');
    expect(message).not.toContain('secret-key');
  });

  it('gives the reason a file key is refused, and never the key', async () => {
    const short = await keyFile('short.yaml', 'keys: { tiny: payments }\n');
    expect(() => parseApiKeys(short)).toThrow(`API key file ${short}: keys must be at least 8 characters`);
    const numeric = await keyFile('numeric.yaml', 'keys: { secret-key-one: 42 }\n');
    let message = '';
    try {
      parseApiKeys(numeric);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(
      `API key file ${numeric}: keys.<a key>: Invalid input: expected string, received number`,
    );
  });
});
