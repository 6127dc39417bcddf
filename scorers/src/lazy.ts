/**
 * The scorers, loaded on first call instead of at import. The SDK imports this
 * on every app start, and loading the scorers (models, lexicons, rule and
 * character tables) costs about 190 ms of CPU that only apps using the guard or
 * PII masking should pay. Synchronous (require of ESM, Node >= 22.12) because
 * the first guarded or masked text must already be scored.
 */
import { createRequire } from 'node:module';
import { siblingModule } from './sibling-module.ts';

export type Scorers = typeof import('./index.ts');

let loaded: Scorers | undefined;

export function loadScorers(): Scorers {
  loaded ??= createRequire(import.meta.url)(siblingModule('./index', import.meta.url)) as Scorers;
  return loaded;
}
