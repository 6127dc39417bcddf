/**
 * How a route says no. The receive middleware decide *that* a request is
 * refused; each route decides *how* the refusal looks on the wire (OTLP wants
 * a google.rpc.Status in the request's encoding, the JSON routes `{ error }`).
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export interface Refusal {
  status: ContentfulStatusCode;
  message: string;
  /** Sent as Retry-After when set. */
  retryAfterSeconds?: number;
}

export type Refuse = (c: Context, refusal: Refusal) => Response;

/** `{ "error": message }`, the answer of the collector's own JSON routes. */
export const refuseJson: Refuse = (c, { status, message, retryAfterSeconds }) => {
  if (retryAfterSeconds !== undefined) c.header('retry-after', String(retryAfterSeconds));
  return c.json({ error: message }, status);
};

export const retryAfterSeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
