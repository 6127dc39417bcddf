/**
 * Authentication middleware, shaped like hono's own (`bearerAuth(options)`):
 * a factory taking options and returning a `MiddlewareHandler`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { type ApiKeyResolver, type KeyIdentity, presentedKey } from './api-keys.ts';
import { type Refuse, refuseJson } from './refusal.ts';

export type AuthEnv = { Variables: { identity: KeyIdentity } };

export const UNAUTHORIZED =
  'missing or unknown API key (send Authorization: Bearer <key> or x-api-key: <key>)';

export interface ApiKeyAuthOptions {
  resolver: ApiKeyResolver;
  /** How this route answers 401 (default `{ error }` JSON). */
  refuse?: Refuse;
}

/**
 * Resolves the presented API key to its project and sets `identity` on the
 * context, or answers 401. The project is decided here and only here.
 */
export function apiKeyAuth(options: ApiKeyAuthOptions): MiddlewareHandler<AuthEnv> {
  const refuse = options.refuse ?? refuseJson;
  return async (c, next) => {
    const identity = options.resolver.identify(presentedKey(c.req.raw.headers));
    if (!identity) return refuse(c, { status: 401, message: UNAUTHORIZED });
    c.set('identity', identity);
    await next();
  };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/**
 * The admin route's bearer token, compared in constant time; absent `token`
 * means the route does not exist in this process (404).
 */
export function adminTokenAuth(token: string | undefined): MiddlewareHandler {
  const expected = token === undefined ? undefined : sha256(`Bearer ${token}`);
  return async (c, next) => {
    if (!expected) return c.json({ error: 'not found' }, 404);
    if (!timingSafeEqual(sha256(c.req.header('authorization') ?? ''), expected)) {
      return c.json({ error: 'forbidden' }, 403);
    }
    await next();
  };
}
