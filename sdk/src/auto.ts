/**
 * Zero-code setup: `node --import @oversight/sdk/auto app.js`, `import
 * '@oversight/sdk/auto'` as an app's first import, or
 * `require('@oversight/sdk/auto')` in a CommonJS app. Configures from the
 * environment (OVERSIGHT_ENDPOINT, OVERSIGHT_API_KEY, OTEL_SERVICE_NAME, OTEL_*).
 */
import { registerModuleHooks } from './hooks.ts';
import { init } from './init.ts';

registerModuleHooks();
init();
