/**
 * Loads the option schemas (zod) on first use instead of at import: zod is
 * about a third of the SDK's start, and `import '@oversight/sdk/auto'`
 * configured from the environment has no options to check.
 */
import { createRequire } from 'node:module';

/** The option keys `initOptionsSchema` checks: with none of them set there is nothing to load zod for. */
export const CHECKED_INIT_OPTIONS = [
  'endpoint',
  'apiKey',
  'serviceName',
  'prices',
  'maxContentLength',
] as const;

type Schemas = typeof import('./options-schema.ts');
let loaded: Schemas | undefined;

/**
 * The schemas of options-schema.ts, loaded synchronously (require of ESM, Node >= 22.12)
 * because `init()` and `new PriceTable()` are synchronous. Its own extension:
 * `.ts` from the repo's sources, `.js` in the built package.
 */
export function optionSchemas(): Schemas {
  loaded ??= createRequire(import.meta.url)(
    `./options-schema${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
  ) as Schemas;
  return loaded;
}
