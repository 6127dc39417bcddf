/**
 * Zero-code setup: `import '@oversight/sdk/auto'` as an app's first import,
 * `node --import @oversight/sdk/auto app.js`, or `require('@oversight/sdk/auto')`
 * in a CommonJS app. Configures from the environment (OVERSIGHT_ENDPOINT,
 * OVERSIGHT_API_KEY, OTEL_SERVICE_NAME, OTEL_*).
 */
import { handle } from './auto-setup.ts';
import { autoPreloaded, patchLoadedModules } from './instrumentation/loaded-modules.ts';

// Imported from the app's first line, the hooks above come too late for the
// app's sibling imports; top-level await holds the app's own code until the
// instances it loaded are patched. Preloaded, the hooks already saw them.
if (handle.instrumentations.length > 0 && !autoPreloaded()) await patchLoadedModules(handle.instrumentations);
