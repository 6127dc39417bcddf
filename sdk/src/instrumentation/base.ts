/**
 * What every Oversight client instrumentation shares, shaped like
 * opentelemetry-js-contrib: `init()` declares the module and version range,
 * patch and unpatch are symmetric, and a wrapper that cannot start its span
 * reports once through `_diag` and calls the original untouched.
 *
 * Subclasses say which classes a module (or a client instance) holds, which
 * methods of them to wrap, and for each call what span to start and how to
 * read the result; wrap-once, manual patching and the bypass live here.
 */
import {
  InstrumentationBase,
  type InstrumentationConfig,
  InstrumentationNodeModuleDefinition,
  isWrapped,
} from '@opentelemetry/instrumentation';
import type { ContentPolicy } from '../content.ts';
import type { PriceTable } from '../pricing.ts';
import { diagnoseOnce, errorName, reportInternal } from '../safe.ts';
import { SDK_VERSION } from '../version.ts';
import { invokeObserved } from './api-promise.ts';
import { LlmCall, type Obj, type StartOptions, type Telemetry, telemetryFor } from './llm-span.ts';
import { markClientPatched } from './step-context.ts';
import { watchStreamHelper } from './stream-tap.ts';

export interface OversightInstrumentationConfig extends InstrumentationConfig {
  content?: ContentPolicy | undefined;
  prices?: PriceTable | undefined;
  /**
   * Ask for usage on streams the app did not ask usage for (`stream_options.include_usage`),
   * hiding the extra chunk from the app. Default true; turn off for OpenAI-compatible
   * servers that reject the option.
   */
  injectStreamUsage?: boolean | undefined;
}

export type { Obj };
export type Fn = (this: unknown, ...args: unknown[]) => unknown;

/** One method to wrap: the prototype that holds it, its name, and the wrapper factory. */
export interface PatchTarget {
  prototype: Obj | undefined;
  method: string;
  wrapper: (original: Fn) => Fn;
}

/** What a wrapper learnt from the call's arguments before the client runs. */
export interface CallPlan {
  start: StartOptions;
  /** Arguments to pass instead of the app's (e.g. with stream usage asked for). */
  args?: unknown[];
  /** Reads the client's result into the span; returns what the app receives. */
  observe(result: unknown, call: LlmCall): unknown;
}

/** `this` inside a wrapped method and the arguments the app passed. */
export type PlanCall = (self: unknown, args: unknown[]) => CallPlan | undefined;

const OWNER = Symbol.for('oversight.instrumentation.owner');

/** Which Oversight instrumentation wrapped this function, if any. */
export function ownerOf(fn: unknown): unknown {
  return typeof fn === 'function' ? (fn as unknown as Record<symbol, unknown>)[OWNER] : undefined;
}

export abstract class OversightInstrumentationBase<
  Classes extends object,
  Config extends OversightInstrumentationConfig = OversightInstrumentationConfig,
> extends InstrumentationBase<Config> {
  readonly #manual = new Set<Classes>();
  readonly #reported = new Set<string>();

  constructor(name: string, config: Config) {
    super(name, SDK_VERSION, config);
  }

  /** The classes the module's exports (CJS object or ESM namespace) hold. */
  protected abstract classesFromModule(moduleExports: unknown): Classes;
  /** The classes behind one client instance, for bundles the module hooks cannot see. */
  protected abstract classesFromClient(client: unknown): Classes;
  /** The methods of those classes to wrap. */
  protected abstract targets(classes: Classes): PatchTarget[];

  /** For `init()`: patch the module's classes on load, unpatch them on disable. */
  protected moduleDefinition(name: string, supportedVersions: string[]) {
    return new InstrumentationNodeModuleDefinition(
      name,
      supportedVersions,
      (moduleExports: unknown) => {
        this.patchClasses(this.classesFromModule(moduleExports));
        return moduleExports;
      },
      (moduleExports: unknown) => {
        if (moduleExports) this.unpatchClasses(this.classesFromModule(moduleExports));
      },
    );
  }

  telemetry(): Telemetry {
    return telemetryFor(this._config);
  }

  /**
   * Wraps the classes' methods unless already wrapped: a wrapper of another
   * Oversight instance (from an earlier init) is replaced, one of another
   * vendor is left alone rather than stripped. `manual` patches (found from a
   * client instance) are undone by `disable()` as well.
   */
  patchClasses(classes: Classes, manual = false): void {
    if (manual) this.#manual.add(classes);
    for (const { prototype, method, wrapper } of this.targets(classes)) {
      if (!prototype || typeof prototype[method] !== 'function') continue;
      const current = prototype[method];
      const owner = ownerOf(current);
      if (owner === this) continue;
      if (owner === undefined && isWrapped(current)) {
        // Another vendor's wrapper is left in place, so these calls get no Oversight span: say so.
        diagnoseOnce(
          `wrapped-by-other:${this.instrumentationName}`,
          `another instrumentation already wraps ${(prototype.constructor as { name?: unknown } | undefined)?.name ?? 'its class'}.${method}() (${this.instrumentationName}); Oversight leaves it be and records no spans for those calls`,
        );
        continue;
      }
      if (owner !== undefined) this._unwrap(prototype, method);
      this._wrap(prototype, method, (original) => {
        const wrapped = wrapper(original as Fn);
        Object.defineProperty(wrapped, OWNER, { value: this });
        return wrapped;
      });
      markClientPatched(this.instrumentationName, this, true);
    }
  }

  /** Undoes `patchClasses`, touching only methods this instance wrapped. */
  unpatchClasses(classes: Classes): void {
    for (const { prototype, method } of this.targets(classes)) {
      if (prototype && ownerOf(prototype[method]) === this) this._unwrap(prototype, method);
    }
  }

  /**
   * Patches a module's exports the hooks did not see (a bundle's copy, a
   * module loaded before init()); like `patchClient`, undone by `disable()`.
   */
  patchModule(moduleExports: unknown): void {
    this.patchClasses(this.classesFromModule(moduleExports), true);
  }

  /** Undoes `patchModule` (or the hooks' patch) on those exports. */
  unpatchModule(moduleExports: unknown): void {
    this.unpatchClasses(this.classesFromModule(moduleExports));
  }

  /** Patches the classes behind one client instance (what `instrument(client)` does). */
  patchClient(client: unknown): void {
    this.patchClasses(this.classesFromClient(client), true);
  }

  /** Also undoes what `patchClient` patched, so a later init() starts clean. */
  override disable(): void {
    super.disable();
    for (const classes of this.#manual) this.unpatchClasses(classes);
    this.#manual.clear();
    markClientPatched(this.instrumentationName, this, false);
  }

  /** A method to wrap with `traced`: `what` names it in diag lines. */
  protected tracedMethod(
    prototype: Obj | undefined,
    method: string,
    what: string,
    plan: PlanCall,
  ): PatchTarget {
    return { prototype, method, wrapper: (original) => this.traced(what, original, plan) };
  }

  /**
   * A method returning one of the client's stream helpers (`messages.stream()`,
   * `chat.completions.stream()`): its span comes from the `create` call the
   * helper makes; the helper is only watched (see `watchStreamHelper`).
   */
  protected streamHelperMethod(prototype: Obj | undefined, method: string): PatchTarget {
    return {
      prototype,
      method,
      wrapper: (original) =>
        function streamHelper(this: unknown, ...args: unknown[]) {
          const helper = original.apply(this, args);
          try {
            watchStreamHelper(helper);
          } catch (error) {
            reportInternal('watching a stream helper', error);
          }
          return helper;
        },
    };
  }

  /**
   * The wrapper for one client method: plans the call from its arguments,
   * starts the span and observes the result. When planning or starting
   * fails, the failure is reported once and the original runs as if
   * unpatched; errors of the call itself reach the app unchanged.
   */
  protected traced(what: string, original: Fn, plan: PlanCall): Fn {
    const inst = this;
    return function traced(this: unknown, ...args: unknown[]) {
      let p: CallPlan | undefined;
      let call: LlmCall | undefined;
      try {
        p = plan(this, args);
        if (p) call = new LlmCall(inst.tracer, inst.telemetry(), p.start);
      } catch (error) {
        inst.reportOnce(what, 'could not start its span; the call runs unobserved', error);
        call = undefined;
      }
      if (!p || !call) return original.apply(this, args);
      const { observe, args: planned } = p;
      const c = call;
      return invokeObserved(
        c,
        () => original.apply(this, planned ?? args),
        (result) => observe(result, c),
        (error) => inst.reportOnce(what, 'could not read its result; the span ends as it is', error),
      );
    };
  }

  /** One diag line per method and failure kind: a bug hit on every call must not flood the app's log. */
  protected reportOnce(what: string, problem: string, error: unknown): void {
    const key = `${what}:${problem}`;
    if (this.#reported.has(key)) return;
    this.#reported.add(key);
    this._diag.warn(`${what} ${problem}: ${errorName(error)}`, error);
  }
}
