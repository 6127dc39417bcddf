/**
 * The scorers' own lazy loader, itself loaded on first use: every app that
 * imports the SDK would otherwise resolve the scorers package and load that
 * loader's files at start, and few of them guard or mask. Synchronous (require
 * of ESM, Node >= 22.12) because the first guarded or masked text must already
 * be scored.
 */
import { createRequire } from 'node:module';

type Lazy = typeof import('@oversight/scorers/lazy');
let lazy: Lazy | undefined;

export function loadScorers(): ReturnType<Lazy['loadScorers']> {
  lazy ??= createRequire(import.meta.url)('@oversight/scorers/lazy') as Lazy;
  return lazy.loadScorers();
}
