/**
 * Never-throw helpers. Telemetry must not change what the app sees: a bug in
 * here costs a missing attribute, never an exception in the app's call path.
 */
import { diag } from '@opentelemetry/api';

const reported = new Set<string>();
let silenced = false;

/**
 * Prints one line to stderr the first time `key` is reported, then stays quiet
 * about it: a dead collector must not flood the app's logs.
 */
export function diagnoseOnce(key: string, message: string): void {
  if (silenced || reported.has(key)) return;
  reported.add(key);
  try {
    process.stderr.write(`[oversight] ${oneLine(message)}\n`);
  } catch {
    // stderr closed: nothing sensible left to do.
  }
}

/** One line, whatever the message quotes (an error's stack, a validator's JSON). */
export function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ');
}

/** Tests and apps that own their logging can turn the diagnostic line off. */
export function silenceDiagnostics(value = true): void {
  silenced = value;
}

/** Forget what was reported, so a test can observe the line again. */
export function resetDiagnostics(): void {
  reported.clear();
}

const internal = new Set<string>();

/**
 * A failure caught on the app's path so it cannot reach the app: reported
 * through the OTel diag logger once per place and error kind (a bug hit on
 * every call must not flood the log), then the caller falls back.
 */
export function reportInternal(where: string, error: unknown): void {
  const kind = errorName(error);
  const key = `${where}:${kind}`;
  if (internal.has(key)) return;
  internal.add(key);
  diag.warn(`@oversight/sdk: ${where} failed (${kind}); skipped, the app is unaffected`, error);
}

/** Runs `fn`; any exception becomes `fallback` and one debug-level diagnostic. */
export function safely<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch (error) {
    diagnoseOnce(`internal:${errorName(error)}`, `internal telemetry error ignored: ${errorName(error)}`);
    return fallback;
  }
}

export function errorName(error: unknown): string {
  if (error && typeof error === 'object') {
    const ctor = (error as { constructor?: { name?: unknown } }).constructor;
    const name = (error as { name?: unknown }).name;
    if (typeof ctor?.name === 'string' && ctor.name !== 'Error' && ctor.name !== 'Object') return ctor.name;
    if (typeof name === 'string' && name) return name;
  }
  return typeof error === 'object' && error !== null ? 'Error' : '_OTHER';
}

/**
 * What went wrong, for a diagnostic line: a validation error (zod) as
 * `path: message` per issue, rather than the JSON dump its message is.
 */
export function errorSummary(error: unknown): string {
  const issues = (error as { issues?: unknown } | null)?.issues;
  if (Array.isArray(issues) && issues.length > 0) {
    return issues
      .map((i: { path?: unknown; message?: unknown }) => {
        const path = Array.isArray(i?.path) ? i.path.map(String).join('.') : '';
        return `${path || 'options'}: ${String(i?.message ?? 'invalid')}`;
      })
      .join('; ');
  }
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof message === 'string' && message) return message;
  try {
    return String(error);
  } catch {
    // A thrown value whose toString() throws: its kind is all there is to say.
    return errorName(error);
  }
}

/** JSON.stringify that survives cycles and BigInt instead of throwing. */
export function safeJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    // Cycles and throwing getters: the value has no JSON, and callers treat undefined as "leave it out".
    return undefined;
  }
}

/** `key (did you mean known?)` when a known name is the same but for case or two edits, else `key`. */
export function didYouMean(key: string, known: readonly string[]): string {
  let near: string | undefined;
  let best = 3;
  for (const k of known) {
    const d = k.toLowerCase() === key.toLowerCase() ? 0 : editDistance(k, key);
    if (d < best) [near, best] = [k, d];
  }
  return near ? `${key} (did you mean ${near}?)` : key;
}

/** Levenshtein distance, for option names of a few dozen characters. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(
        (previous[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    previous = row;
  }
  return previous[b.length] as number;
}
