// Preloaded with --import: records every module URL the process resolves and,
// at exit, prints those under the packages named in RECORD_PACKAGES as JSON.
import { registerHooks } from 'node:module';

const watched = (process.env.RECORD_PACKAGES ?? '').split(',').filter(Boolean);
const seen = new Set();
registerHooks({
  resolve(specifier, context, next) {
    const resolved = next(specifier, context);
    seen.add(resolved.url);
    return resolved;
  },
});
process.on('exit', () => {
  const hits = [...seen].filter((url) => watched.some((name) => url.includes(`/node_modules/${name}/`)));
  process.stdout.write(JSON.stringify(hits));
});
