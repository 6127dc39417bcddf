/**
 * The vocabulary holds both sides together: every name the SDK can write is
 * one the collector reads. Both sides are derived from their source code (the
 * conventions identifiers each uses), so a name added on one side only fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as C from '@oversight/conventions';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

function sources(dir: string, skip: (path: string) => boolean = () => false): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !skip(f))
    .map((f) => join(dir, f));
}

/** Code lines only: comments name attributes too, and a name in a comment is neither written nor read. */
function code(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
}

const names = new Map<string, string>();
for (const [id, value] of Object.entries(C) as [string, unknown][])
  if (typeof value === 'string' && /^(ATTR|EVENT)_|_PREFIX$/.test(id)) names.set(id, value);

/** The conventions names a set of files uses, by identifier. */
function namesUsed(files: string[]): Set<string> {
  const used = new Set<string>();
  for (const file of files)
    for (const [, id] of code(file).matchAll(/\b((?:ATTR|EVENT)_[A-Z0-9_]+|[A-Z_]+_PREFIX)\b/g)) {
      const value = id === undefined ? undefined : names.get(id);
      if (value !== undefined) used.add(value);
    }
  return used;
}

const sdkFiles = sources('sdk/src', (f) => f.startsWith('scorers'));
const collectorFiles = [...sources('collector/src/normalize'), ...sources('collector/src/enrich')];

describe('one vocabulary for SDK and collector', () => {
  it('the SDK spells no gen_ai.* / oversight.* name outside the conventions', () => {
    const raw: string[] = [];
    for (const file of [...sdkFiles, ...collectorFiles]) {
      // Context keys and symbols share the `oversight.` namespace but are never attributes.
      const text = code(file).replace(/(createContextKey|Symbol(\.for)?)\('[^']*'\)/g, '');
      for (const [literal] of text.matchAll(/['"`](gen_ai|oversight)\.[a-z0-9_.]*['"`]/g))
        raw.push(`${file}: ${literal}`);
    }
    expect(raw).toEqual([]);
  });

  it('every name the SDK writes is one the collector reads', () => {
    const written = namesUsed(sdkFiles);
    const read = namesUsed(collectorFiles);
    const prefixes = [...read].filter((n) =>
      [...names].some(([id, value]) => value === n && id.endsWith('_PREFIX')),
    );
    // Sanity: the scan found the core of both sides, so an empty diff below means something.
    expect(written).toContain(C.ATTR_GEN_AI_INPUT_MESSAGES);
    expect(written).toContain(C.ATTR_OVERSIGHT_RETRIEVAL_QUERY_EMBEDDING);
    expect(read).toContain(C.ATTR_GEN_AI_USAGE_INPUT_TOKENS);
    const unread = [...written].filter((n) => !read.has(n) && !prefixes.some((p) => n.startsWith(`${p}.`)));
    expect(unread.sort()).toEqual([]);
  });
});

describe('provider table', () => {
  const wellKnown = new Set<string>(Object.values(C.GEN_AI_PROVIDER));

  it('maps every alias to a well-known GenAI provider name', () => {
    const stray = Object.entries(C.PROVIDER_ALIASES).filter(([, v]) => !wellKnown.has(v));
    expect(stray).toEqual([]);
  });

  it('names the Gemini Developer API gcp.gemini, whoever spells it', () => {
    expect(C.canonicalProvider('google_genai')).toBe('gcp.gemini');
    expect(C.canonicalProvider('google.generative-ai')).toBe('gcp.gemini');
    expect(C.providerFromClassName('ChatGoogleGenerativeAI')).toBe('gcp.gemini');
    expect(C.canonicalProvider('google_vertexai')).toBe('gcp.vertex_ai');
    expect(C.providerFromClassName('ChatVertexAI')).toBe('gcp.vertex_ai');
    expect(C.canonicalProvider('gcp.gen_ai')).toBe('gcp.gen_ai');
  });

  it('reads framework spellings by their leading segments and passes unknown names through', () => {
    expect(C.canonicalProvider('openai.chat')).toBe('openai');
    expect(C.canonicalProvider(' Azure-OpenAI ')).toBe('azure.ai.openai');
    expect(C.canonicalProvider('vertex.anthropic.messages')).toBe('gcp.vertex_ai');
    expect(C.canonicalProvider('Acme.LLM')).toBe('acme.llm');
    expect(C.canonicalProvider('')).toBe('');
    expect(C.providerFromClassName('AzureChatOpenAI')).toBe('azure.ai.openai');
    expect(C.providerFromClassName('ChatOpenAI')).toBe('openai');
    expect(C.providerFromClassName('FakeListChatModel')).toBeUndefined();
  });
});
