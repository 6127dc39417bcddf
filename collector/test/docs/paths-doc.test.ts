/**
 * Every file docs/architecture.md, schema.md, sql.md, security.md and topics.md name by
 * path (`collector/src/enrich/topics/columns.wat`, `src/receive/auth.ts`,
 * `lazy-hooks.ts`) is a file of the repository, so a renamed or deleted file
 * cannot stay in the docs.
 */
import { globSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const DOCS = ['architecture.md', 'schema.md', 'sql.md', 'security.md', 'topics.md'];

/** Names the docs give that are no file of the repository, on purpose. */
const NOT_FILES = new Set([
  'd.ts', // `.d.ts`, a kind of file
  'kb/security.md', // an example value of a document's metadata
  'collector.json', // written at run time beside the log
  'etc/oversight/keys.yaml', // an operator's key file
  'banking77.dev.jsonl', // the shared eval set, beside the repository (../shared/eval)
  'shared/eval/banking77.dev.jsonl',
]);

const FILES = globSync('**/*', {
  cwd: ROOT,
  exclude: (name) => name === 'node_modules' || name === 'dist' || name === '.git',
}).map((path) => `/${path.split('\\').join('/')}`);

const PATH =
  /[A-Za-z0-9_@-][A-Za-z0-9_.@-]*(?:\/[A-Za-z0-9_.@-]+)*\.(?:ts|cjs|wat|wasm|bin|sql|jsonl|json|md|yaml|yml)\b/g;

describe('files the docs name', () => {
  it.each(DOCS)('%s names only files that exist', (name) => {
    const text = readFileSync(join(ROOT, 'docs', name), 'utf8');
    const named = [...new Set([...text.matchAll(PATH)].map((m) => m[0].replace(/^\.?\//, '')))];
    expect(named.length).toBeGreaterThan(0);
    const missing = named.filter(
      (path) => !NOT_FILES.has(path) && !FILES.some((f) => f.endsWith(`/${path}`)),
    );
    expect(missing).toEqual([]);
  });
});
