/**
 * Stand-ins for the `Hook` classes of require-in-the-middle and
 * import-in-the-middle inside the bundled OpenTelemetry `InstrumentationBase`
 * (scripts/build-packages.ts points those two imports here). Both packages,
 * with their lexers (es-module-lexer compiles WebAssembly at import), `debug`
 * and the rest, were about 15 % of what the SDK added to an app's start, while
 * most apps load the instrumented packages before the SDK line runs (patched
 * by instrumentation/loaded-modules.ts) or never load them at all.
 *
 * So a hook is created for real only when it can matter: the require hook on
 * the first `require()` of a package an instrumentation watches, the import
 * hook when the module hooks (hooks.ts) see an `import` of one. Until then a
 * small `Module.prototype.require` wrapper and a resolve hook watch for those
 * names, and everything else loads as if the SDK were not there. Once
 * activated, each hook is exactly the one the instrumentation asked for.
 */
import nodeModule, { createRequire } from 'node:module';

type OnRequire = (exports: unknown, name: string, basedir?: string) => unknown;
type HookOptions = { internals?: boolean };
interface RealHook {
  unhook(): void;
}
type HookClass = new (modules: string[] | null, options: HookOptions | null, hook: OnRequire) => RealHook;

const requireHere = createRequire(import.meta.url);

/** Package names the instrumentations patch (from their module definitions). */
const watched = new Set<string>();

/** A bare specifier or subpath of a watched package: `openai`, `openai/resources/chat`. */
export function isWatched(id: string): boolean {
  for (const name of watched) if (id === name || id.startsWith(`${name}/`)) return true;
  return false;
}

function watch(modules: readonly string[] | null | undefined): void {
  for (const name of modules ?? []) {
    watched.add(name);
    // A builtin can arrive through process.getBuiltinModule, which the require wrapper does not see.
    if (nodeModule.isBuiltin(name)) activateRequireHooks();
  }
}

/** One hook whose real counterpart is made on activation, with the arguments it was given. */
class Deferred {
  real: RealHook | undefined;
  /** Where it waits for activation; an unhooked one leaves it, so it is never made. */
  readonly pending: Set<Deferred>;
  readonly modules: string[] | null;
  readonly options: HookOptions | null;
  readonly onRequire: OnRequire;

  constructor(
    pending: Set<Deferred>,
    modules: string[] | null,
    options: HookOptions | null,
    onRequire: OnRequire,
  ) {
    this.pending = pending;
    this.modules = modules;
    this.options = options;
    this.onRequire = onRequire;
  }

  activate(Real: HookClass): void {
    this.real ??= new Real(this.modules, this.options, this.onRequire);
  }

  unhook(): void {
    this.pending.delete(this);
    this.real?.unhook();
  }
}

// ---- require-in-the-middle -------------------------------------------------

const pendingRequire = new Set<Deferred>();
let RealRequireHook: HookClass | undefined;
let originalRequire: ((this: NodeJS.Module, id: string) => unknown) | undefined;
let trigger: ((this: NodeJS.Module, id: string) => unknown) | undefined;

/** Loads require-in-the-middle and makes every pending require hook real. */
export function activateRequireHooks(): void {
  if (!RealRequireHook) {
    // Put back the original require first, so the real hook wraps it and not the watcher.
    if (trigger && nodeModule.prototype.require === trigger && originalRequire)
      nodeModule.prototype.require = originalRequire;
    RealRequireHook = (requireHere('require-in-the-middle') as { Hook: HookClass }).Hook;
  }
  for (const hook of pendingRequire) hook.activate(RealRequireHook);
  pendingRequire.clear();
}

/** Whether require-in-the-middle has been loaded (the first watched require happened). */
export function requireHooksActive(): boolean {
  return RealRequireHook !== undefined;
}

function installRequireTrigger(): void {
  if (trigger) return;
  const original = nodeModule.prototype.require as (this: NodeJS.Module, id: string) => unknown;
  originalRequire = original;
  trigger = function watchRequire(this: NodeJS.Module, id: string) {
    if (!RealRequireHook && typeof id === 'string' && isWatched(id)) {
      activateRequireHooks();
      // This very require goes through the real hook, so its caller gets patched exports.
      return (nodeModule.prototype.require as typeof original).apply(this, [id]);
    }
    return original.apply(this, [id]);
  };
  nodeModule.prototype.require = trigger as typeof nodeModule.prototype.require;
}

/** require-in-the-middle's `Hook`, made for real on the first require of a watched package. */
export class LazyRequireHook {
  readonly #hook: Deferred;

  constructor(modules: string[] | null, options: HookOptions | null, onRequire: OnRequire) {
    this.#hook = new Deferred(pendingRequire, modules, options, onRequire);
    watch(modules);
    if (RealRequireHook || modules?.some((m) => m.startsWith('/') || /^[a-z]:[\\/]/i.test(m))) {
      // Absolute file paths cannot be matched by name before resolution: hook now.
      activateRequireHooks();
      this.#hook.activate(RealRequireHook as HookClass);
      return;
    }
    pendingRequire.add(this.#hook);
    installRequireTrigger();
  }

  unhook(): void {
    this.#hook.unhook();
  }
}

// ---- import-in-the-middle --------------------------------------------------

const pendingImport = new Set<Deferred>();
let RealImportHook: HookClass | undefined;
let deferImports = false;

/**
 * Called by the module hooks when they take over watching `import`s: from then
 * on import hooks wait for `activateImportHooks()`. Without it (init() alone,
 * an app's own loader) they are made at once, as import-in-the-middle expects.
 */
export function deferImportHooks(): void {
  deferImports = true;
}

/** Loads import-in-the-middle's registry and makes every pending import hook real. */
export function activateImportHooks(): void {
  RealImportHook ??= (requireHere('import-in-the-middle') as { Hook: HookClass }).Hook;
  for (const hook of pendingImport) hook.activate(RealImportHook);
  pendingImport.clear();
}

/** import-in-the-middle's `Hook`, made for real when a watched package is imported. */
export class LazyImportHook {
  readonly #hook: Deferred;

  constructor(modules: string[] | null, options: HookOptions | null, onRequire: OnRequire) {
    this.#hook = new Deferred(pendingImport, modules, options, onRequire);
    watch(modules);
    if (deferImports && !RealImportHook) pendingImport.add(this.#hook);
    else {
      activateImportHooks();
      this.#hook.activate(RealImportHook as HookClass);
    }
  }

  unhook(): void {
    this.#hook.unhook();
  }
}
