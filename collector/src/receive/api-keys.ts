import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, parse } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * API keys map to projects. The project is decided here and only here: a span
 * can never choose its own project through its attributes.
 */
export const INSECURE_DEV_PROJECT = 'default';

const MIN_KEY_CHARS = 8;

// Key lengths are checked after parsing: zod reports a record key it refuses
// only as "Invalid key in record", which would hide the reason.
const KeyFileSchema = z.object({ keys: z.record(z.string(), z.string().min(1)) });

export interface KeyIdentity {
  projectId: string;
  /** A stable, non-secret name for the key (a digest prefix): what rate limits and logs use. */
  keyId: string;
}

export interface ApiKeyResolver {
  /** Project for a presented key, or null when the key is unknown. */
  projectFor(key: string | undefined): string | null;
  /** Project and key id for a presented key, or null when it is refused. */
  identify(key: string | undefined): KeyIdentity | null;
  readonly size: number;
}

// Keys are held as SHA-256 digests: a heap dump or a log of this map leaks no key.
const digest = (key: string) => createHash('sha256').update(key).digest('hex');

/** `key=project,...` inline, or a path to a YAML/JSON file `{ keys: { <key>: <project> } }`. */
export function parseApiKeys(spec: string): Map<string, string> {
  const trimmed = spec.trim();
  if (!trimmed) return new Map();
  if (!trimmed.includes('=')) {
    // Inline keys always hold an '=': without one this can only be a file.
    if (!existsSync(trimmed)) {
      // Named only when it looks like a path: a lone key pasted here must not reach the log,
      // and a base64 key holds a '/' as often as not, so the slash alone does not say "path".
      const dir = dirname(trimmed);
      const looksLikePath =
        /\.(ya?ml|json)$/i.test(trimmed) || (dir !== '.' && dir !== parse(dir).root && existsSync(dir));
      const named = looksLikePath ? `"${trimmed}" ` : '';
      throw new Error(`API keys: ${named}is neither key=project pairs nor an existing key file`);
    }
    let document: unknown;
    try {
      document = parseYaml(readFileSync(trimmed, 'utf8'));
    } catch (error) {
      // The parser's own message spans several lines with a code frame (of key material).
      const first = ((error as Error).message.split('\n')[0] ?? '').trim();
      throw new Error(`API key file ${trimmed}: not YAML or JSON: ${first}`);
    }
    const parsed = KeyFileSchema.safeParse(document);
    if (!parsed.success) {
      throw new Error(
        `API key file ${trimmed}: ${parsed.error.issues
          // A path under `keys` holds the key itself, which has no place in a log.
          .map(
            (i) =>
              `${i.path.length > 1 && i.path[0] === 'keys' ? 'keys.<a key>' : i.path.join('.') || '(root)'}: ${i.message}`,
          )
          .join('; ')}`,
      );
    }
    const keys = Object.entries(parsed.data.keys);
    if (keys.some(([key]) => key.length < MIN_KEY_CHARS))
      throw new Error(`API key file ${trimmed}: keys must be at least ${MIN_KEY_CHARS} characters`);
    return new Map(keys);
  }
  const keys = new Map<string, string>();
  // Pairs are named by position, never by their text: it holds the key.
  for (const [index, pair] of trimmed.split(',').entries()) {
    // An empty pair is what a template leaves (`k=p,${MORE}` with MORE unset).
    if (pair.trim() === '') continue;
    const at = pair.indexOf('=');
    const key = pair.slice(0, at).trim();
    const project = pair.slice(at + 1).trim();
    if (at <= 0 || !project) throw new Error(`API keys: pair ${index + 1} is not key=project`);
    if (key.length < MIN_KEY_CHARS)
      throw new Error(`API keys: keys must be at least ${MIN_KEY_CHARS} characters (pair ${index + 1})`);
    // The same key for two projects would file one app's spans under the other's, silently.
    if (keys.has(key) && keys.get(key) !== project)
      throw new Error(`API keys: pair ${index + 1} gives a key already given for another project`);
    keys.set(key, project);
  }
  return keys;
}

export function createApiKeyResolver(keys: Map<string, string>, insecureDev: boolean): ApiKeyResolver {
  const byDigest = new Map([...keys].map(([key, project]) => [digest(key), project]));
  const identify = (key: string | undefined): KeyIdentity | null => {
    if (key) {
      const hash = digest(key);
      const projectId = byDigest.get(hash);
      if (projectId) return { projectId, keyId: hash.slice(0, 16) };
      // A wrong key is an error even in dev mode: silently filing it under
      // `default` would hide a misconfigured app.
      return null;
    }
    return insecureDev ? { projectId: INSECURE_DEV_PROJECT, keyId: 'insecure-dev' } : null;
  };
  return {
    size: byDigest.size,
    identify,
    projectFor: (key) => identify(key)?.projectId ?? null,
  };
}

/** `Authorization: Bearer <key>` or `x-api-key: <key>`, as OTel exporters can send either via headers. */
export function presentedKey(headers: { get(name: string): string | null | undefined }): string | undefined {
  const auth = headers.get('authorization');
  if (auth) {
    const match = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (match?.[1]) return match[1].trim();
  }
  return headers.get('x-api-key')?.trim() || undefined;
}
