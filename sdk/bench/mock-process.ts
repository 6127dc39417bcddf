/**
 * The mock LLM as its own process for the benches, with one difference from
 * `examples/mock-llm/src/main.ts`: idle connections are kept for 30 s instead
 * of 1 s. Node's HTTP clients (undici's fetch, http.Agent) drop a pooled
 * socket whose server-announced keep-alive is under their 1–2 s safety
 * margin, so against a 1 s mock every call would open a new TCP connection,
 * which no app talking to a real provider does, and that connect cost would
 * swamp the figures being measured.
 */
import { Server } from 'node:http';

const KEEP_ALIVE_MS = 30_000;
const held = new WeakMap<object, number>();
Object.defineProperty(Server.prototype, 'keepAliveTimeout', {
  configurable: true,
  get(this: object) {
    return held.get(this) ?? KEEP_ALIVE_MS;
  },
  set(this: object, ms: number) {
    held.set(this, Math.max(ms, KEEP_ALIVE_MS));
  },
});

await import('../../examples/mock-llm/src/main.ts');
