import {
  type TracerProvider as ApiTracerProvider,
  context,
  ProxyTracerProvider,
  propagation,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { type Instrumentation, registerInstrumentations } from '@opentelemetry/instrumentation';
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  NoopSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { type ContentOptions, ContentPolicy, contentOptionsFromEnv, parseBool } from './content.ts';
import { ContentPolicySpanProcessor } from './content-processor.ts';
import { OversightContextSpanProcessor } from './context.ts';
import { CostSpanProcessor } from './cost-processor.ts';
import { spanEndpoint, spanEndpointProblem } from './endpoint.ts';
import { collectorBase, configureFeedback } from './feedback-config.ts';
import { AnthropicInstrumentation } from './instrumentation/anthropic/instrumentation.ts';
import { setDefaultTelemetry } from './instrumentation/llm-span.ts';
import { patchAppModulesNow } from './instrumentation/loaded-modules.ts';
import { OpenAIInstrumentation } from './instrumentation/openai/instrumentation.ts';
import { LazyExporter } from './lazy-exporter.ts';
import { CHECKED_INIT_OPTIONS, optionSchemas } from './option-checks.ts';
import { type PriceOverrides, PriceTable } from './pricing.ts';
import { QuietExporter } from './quiet-exporter.ts';
import { diagnoseOnce, didYouMean, errorName, errorSummary } from './safe.ts';
import { SDK_NAME, SDK_VERSION } from './version.ts';

export interface InitOptions extends ContentOptions {
  /**
   * Collector base URL (`/v1/traces` is appended; the traces URL itself is read as its base).
   * Env `OVERSIGHT_ENDPOINT`, else the standard OTLP endpoint variables.
   */
  endpoint?: string | undefined;
  /** Project API key, sent as `Authorization: Bearer`. Env `OVERSIGHT_API_KEY`. */
  apiKey?: string | undefined;
  /** Env `OTEL_SERVICE_NAME`. */
  serviceName?: string | undefined;
  /** Extra resource attributes, merged over `OTEL_RESOURCE_ATTRIBUTES`. */
  resourceAttributes?: Record<string, string | number | boolean> | undefined;
  /** Extra headers for the OTLP exporter. */
  headers?: Record<string, string> | undefined;
  /** Price overrides, USD per million tokens, keyed by model id. */
  prices?: PriceOverrides | undefined;
  /** Which auto-instrumentations to enable; default all. */
  instrumentations?: { openai?: boolean; anthropic?: boolean } | undefined;
  /** Replaces the OTLP exporter (the batch processor still wraps it). */
  exporter?: SpanExporter | undefined;
  /** Replaces the batch processor + exporter entirely (tests use a SimpleSpanProcessor). */
  spanProcessors?: SpanProcessor[] | undefined;
  /** Batch processor limits; env `OTEL_BSP_*` otherwise. */
  batch?: {
    maxQueueSize?: number | undefined;
    maxExportBatchSize?: number | undefined;
    scheduledDelayMillis?: number | undefined;
    exportTimeoutMillis?: number | undefined;
  };
  sampler?: Sampler | undefined;
  /** Do nothing at all. Env `OVERSIGHT_DISABLED` or `OTEL_SDK_DISABLED`. */
  disabled?: boolean | undefined;
  /** Flush on `beforeExit` so short scripts lose no spans. Default true. */
  flushOnExit?: boolean | undefined;
}

export interface OversightHandle {
  /** True when Oversight registered its own global tracer provider; false when the app already had one. */
  readonly registered: boolean;
  /** Our provider, when registered. */
  readonly tracerProvider: TracerProvider | undefined;
  /** Batch processor around the Oversight exporter: add it to your own provider when `registered` is false. */
  readonly spanProcessor: SpanProcessor;
  readonly exporter: SpanExporter | undefined;
  readonly instrumentations: Instrumentation[];
  readonly content: ContentPolicy;
  readonly prices: PriceTable;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

let current: OversightHandle | undefined;

/** The handle of the last successful `init()`, if any. */
export function getOversight(): OversightHandle | undefined {
  return current;
}

/**
 * Sets up tracing for the app: a tracer provider with a batch processor and the
 * OTLP/HTTP exporter, plus the OpenAI and Anthropic instrumentations. Safe to
 * call twice (the second call returns the first handle). Never throws: bad
 * configuration yields one diagnostic line and a handle that does nothing.
 */
export function init(options: InitOptions = {}): OversightHandle {
  return initialize(options, true);
}

/**
 * `@oversight/sdk/auto`'s init(): its hooks are in place before the app loads
 * anything, or it patches what the app loaded itself (auto.ts), asynchronously.
 */
export function initFromAuto(): OversightHandle {
  return initialize({}, false);
}

function initialize(given: InitOptions, adoptLoaded: boolean): OversightHandle {
  const options = optionsObject(given);
  if (current) {
    ignoredAgain(options);
    return current;
  }
  try {
    current = setup(options, adoptLoaded);
  } catch (error) {
    diagnoseOnce('init', `init failed (${errorName(error)}: ${errorSummary(error)}); tracing is off`);
    current = inertHandle();
  }
  return current;
}

/**
 * A second init() keeps the first setup, so options given to it do nothing:
 * said once, since `--import @oversight/sdk/auto` plus an init({...}) in the
 * app's code would otherwise drop the app's options without a word.
 */
function ignoredAgain(options: InitOptions): void {
  try {
    const keys = Object.keys(stripUndefined(options ?? {}));
    if (keys.length === 0) return;
    diagnoseOnce(
      'init-again',
      `init() was already called (by @oversight/sdk/auto or earlier code); the options of this call are ignored: ${keys.join(', ')}`,
    );
  } catch {
    // Options that cannot even be listed: nothing to say about them.
  }
}

/**
 * `init('http://collector:4318')` or `init(null)` in a JavaScript app: said
 * once, and set up from the environment as `init()` would be, rather than
 * read character by character or failed on.
 */
function optionsObject(given: unknown): InitOptions {
  if (given === undefined) return {};
  if (typeof given === 'object' && given !== null && !Array.isArray(given)) return given as InitOptions;
  const what = given === null ? 'null' : Array.isArray(given) ? 'an array' : `a ${typeof given}`;
  diagnoseOnce(
    'init-unknown',
    `init() takes an options object ({ endpoint, apiKey, serviceName }), not ${what}; set up from the environment`,
  );
  return {};
}

/** Every option init() reads: TypeScript keeps the list whole. */
const INIT_OPTION_KEYS: Record<keyof InitOptions, true> = {
  endpoint: true,
  apiKey: true,
  serviceName: true,
  resourceAttributes: true,
  headers: true,
  prices: true,
  instrumentations: true,
  exporter: true,
  spanProcessors: true,
  batch: true,
  sampler: true,
  disabled: true,
  flushOnExit: true,
  captureContent: true,
  maxContentLength: true,
  redact: true,
  maskPii: true,
};

/**
 * A misspelt option is dropped without effect, and in plain JavaScript
 * nothing else tells: `maskPII: true` would export the PII it was meant to
 * mask, `endpont` send spans to the default address. Said once, in one line;
 * the options that are known still apply.
 */
function unknownOptions(options: InitOptions): void {
  const known = Object.keys(INIT_OPTION_KEYS);
  const unknown = Object.keys(options).filter((key) => !Object.hasOwn(INIT_OPTION_KEYS, key));
  if (unknown.length === 0) return;
  diagnoseOnce(
    'init-unknown',
    `init() ignores unknown options: ${unknown.map((k) => didYouMean(k, known)).join(', ')}`,
  );
}

function setup(options: InitOptions, adoptLoaded: boolean): OversightHandle {
  const env = process.env;
  const opts: InitOptions = { ...contentOptionsFromEnv(env), ...stripUndefined(options) };
  if (opts.disabled ?? (parseBool(env.OVERSIGHT_DISABLED) || parseBool(env.OTEL_SDK_DISABLED)))
    return inertHandle();
  if (CHECKED_INIT_OPTIONS.some((key) => opts[key] !== undefined))
    optionSchemas().initOptionsSchema.parse(opts);
  // The endpoint from the environment fails init as the option does, not every export after.
  const endpointProblem = spanEndpointProblem(opts.endpoint, env);
  if (endpointProblem) throw new Error(endpointProblem);
  unknownOptions(options);

  const content = new ContentPolicy(opts);
  const prices = new PriceTable(opts.prices ?? {});
  const { processor, exporter } = buildPipeline(opts);

  const existing = hasAppTracerProvider();
  let provider: TracerProvider | undefined;
  if (!existing) {
    provider = new TracerProvider({
      resource: buildResource(opts),
      spanProcessors: [processor],
      sampler: opts.sampler ?? samplerFromEnv(env),
    });
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(
      new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
    );
    trace.setGlobalTracerProvider(provider);
  } else {
    diagnoseOnce(
      'existing-provider',
      'an OpenTelemetry tracer provider is already registered; Oversight keeps it. Add getOversight().spanProcessor (or oversightSpanProcessor()) to its spanProcessors to send spans to Oversight.',
    );
  }

  setDefaultTelemetry({ content, prices });
  // feedback() then reaches the same collector with the same key, no options needed.
  configureFeedback({
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    ...(opts.apiKey ? { apiKey: opts.apiKey } : {}),
  });
  const instrumentations = createInstrumentations(opts, content, prices);
  registerInstrumentations({ instrumentations });
  // The require hook only sees what is loaded from now on; the app's clients came first.
  if (adoptLoaded && instrumentations.length > 0) patchAppModulesNow(instrumentations);

  const handle: OversightHandle = {
    registered: !existing,
    tracerProvider: provider,
    spanProcessor: processor,
    exporter,
    instrumentations,
    content,
    prices,
    flush: () => guard(provider ? provider.forceFlush() : processor.forceFlush()),
    shutdown: async () => {
      process.off('beforeExit', flushAtExit);
      // An app awaits shutdown() as it ends: a collector that is not answering must not hold it.
      if (exporter instanceof QuietExporter) exporter.exiting();
      for (const i of instrumentations) i.disable();
      await guard(provider ? provider.shutdown() : processor.shutdown());
      if (provider) {
        // Hand the globals back so a later init() (tests, hot reload) starts clean.
        trace.disable();
        context.disable();
        propagation.disable();
      }
      if (current === handle) current = undefined;
    },
  };
  // beforeExit fires when the loop drains; flushing then keeps short scripts'
  // spans without holding a live app open. The export's timers are unref'd.
  const flushAtExit = () => {
    if (exporter instanceof QuietExporter) exporter.exiting();
    void handle.flush();
  };
  if (opts.flushOnExit ?? true) process.once('beforeExit', flushAtExit);
  return handle;
}

/**
 * A batch span processor exporting to Oversight, for apps that set up their own
 * OpenTelemetry SDK: `new NodeSDK({ spanProcessors: [oversightSpanProcessor()] })`.
 */
export function oversightSpanProcessor(
  options: Pick<InitOptions, 'endpoint' | 'apiKey' | 'headers' | 'exporter' | 'batch'> = {},
): SpanProcessor {
  // As init() refuses it: an endpoint that is no http(s) URL would fail every export, unexplained.
  const problem = options.exporter ? undefined : spanEndpointProblem(options.endpoint, process.env);
  if (problem) {
    diagnoseOnce('span-processor', `oversightSpanProcessor(): ${problem}; spans are not sent to Oversight`);
    return new NoopSpanProcessor();
  }
  return buildPipeline(options).processor;
}

/** The instrumentations `init()` would enable, for `registerInstrumentations()` in an app's own setup. */
export function oversightInstrumentations(options: InitOptions = {}): Instrumentation[] {
  try {
    const opts = { ...contentOptionsFromEnv(), ...stripUndefined(options) };
    const content = new ContentPolicy(opts);
    const prices = new PriceTable(opts.prices ?? {});
    // Without init() these options are the app's only say: the RAG helpers, guard() and other
    // libraries' spans (the AI SDK's) read the same policy and prices. After init(), its own stay.
    if (!current) setDefaultTelemetry({ content, prices });
    return createInstrumentations(opts, content, prices);
  } catch (error) {
    // Bad options (prices that do not validate) must not fail the app's own SDK setup.
    diagnoseOnce(
      'instrumentations',
      `oversightInstrumentations() failed (${errorName(error)}: ${errorSummary(error)}); LLM calls are not traced`,
    );
    return [];
  }
}

function createInstrumentations(
  opts: InitOptions,
  content: ContentPolicy,
  prices: PriceTable,
): Instrumentation[] {
  const list: Instrumentation[] = [];
  if (opts.instrumentations?.openai !== false) list.push(new OpenAIInstrumentation({ content, prices }));
  if (opts.instrumentations?.anthropic !== false)
    list.push(new AnthropicInstrumentation({ content, prices }));
  return list;
}

function buildPipeline(
  opts: Pick<InitOptions, 'endpoint' | 'apiKey' | 'headers' | 'exporter' | 'batch' | 'spanProcessors'>,
): {
  processor: SpanProcessor;
  exporter: SpanExporter | undefined;
} {
  // withContext() tags (session, user, metadata) are stamped on every span as it starts;
  // other libraries' spans (the AI SDK's) get the content policy and their cost as they end.
  const tagging = new OversightContextSpanProcessor();
  const contentPolicy = new ContentPolicySpanProcessor();
  const cost = new CostSpanProcessor();
  if (opts.spanProcessors?.length)
    return {
      processor: fanOut([tagging, contentPolicy, cost, ...opts.spanProcessors]),
      exporter: undefined,
    };
  const exporter =
    opts.exporter ??
    new QuietExporter(otlpExporter(opts, 10_000), otlpExporter(opts, FAST_EXPORT_TIMEOUT_MS));
  const processor = new BatchSpanProcessor({
    exporter,
    maxQueueSize: opts.batch?.maxQueueSize ?? envNumber('OTEL_BSP_MAX_QUEUE_SIZE') ?? 2048,
    maxExportBatchSize: opts.batch?.maxExportBatchSize ?? envNumber('OTEL_BSP_MAX_EXPORT_BATCH_SIZE') ?? 512,
    scheduledDelayMillis: opts.batch?.scheduledDelayMillis ?? envNumber('OTEL_BSP_SCHEDULE_DELAY') ?? 1000,
    exportTimeoutMillis: opts.batch?.exportTimeoutMillis ?? envNumber('OTEL_BSP_EXPORT_TIMEOUT') ?? 10_000,
  });
  return { processor: fanOut([tagging, contentPolicy, cost, processor]), exporter };
}

/** Below the OTLP retry loop's first backoff (1 s, -20 % jitter), so a dead collector is not retried. */
const FAST_EXPORT_TIMEOUT_MS = 700;

function otlpExporter(
  opts: Pick<InitOptions, 'endpoint' | 'apiKey' | 'headers'>,
  timeoutMillis: number,
): SpanExporter {
  const env = process.env;
  const base = spanEndpoint(opts.endpoint, env)?.endpoint;
  const apiKey = opts.apiKey ?? env.OVERSIGHT_API_KEY;
  const headers: Record<string, string> = { ...opts.headers };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  const config = {
    // Without an Oversight endpoint the exporter reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT itself.
    ...(base ? { url: `${collectorBase(base)}/v1/traces` } : {}),
    ...(Object.keys(headers).length ? { headers } : {}),
    ...(env.OTEL_EXPORTER_OTLP_TIMEOUT || env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT ? {} : { timeoutMillis }),
    ...(env.OTEL_EXPORTER_OTLP_COMPRESSION || env.OTEL_EXPORTER_OTLP_TRACES_COMPRESSION
      ? {}
      : { compression: 'gzip' as never }),
  };
  return new LazyExporter(async () => {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
    return new OTLPTraceExporter(config);
  });
}

function buildResource(opts: InitOptions) {
  const detected = detectResources({ detectors: [envDetector] });
  const serviceName = opts.serviceName ?? process.env.OTEL_SERVICE_NAME;
  // A provider given a resource uses it instead of the SDK's default one, whose
  // `service.name` fallback (unknown_service:node) and telemetry.sdk.* every span needs.
  return defaultResource()
    .merge(detected)
    .merge(
      resourceFromAttributes({
        ...(serviceName ? { 'service.name': serviceName } : {}),
        'telemetry.distro.name': SDK_NAME,
        'telemetry.distro.version': SDK_VERSION,
        ...opts.resourceAttributes,
      }),
    );
}

function samplerFromEnv(env: NodeJS.ProcessEnv): Sampler {
  const arg = Number(env.OTEL_TRACES_SAMPLER_ARG);
  const ratio = Number.isFinite(arg) && env.OTEL_TRACES_SAMPLER_ARG ? Math.min(1, Math.max(0, arg)) : 1;
  switch (env.OTEL_TRACES_SAMPLER) {
    case 'always_off':
      return new AlwaysOffSampler();
    case 'always_on':
      return new AlwaysOnSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/** An app that registered its own provider before us must keep it: never replace it. */
export function hasAppTracerProvider(): boolean {
  const global: ApiTracerProvider = trace.getTracerProvider();
  const delegate = global instanceof ProxyTracerProvider ? global.getDelegate() : global;
  // The API's no-op by identity: a minifier renames its class, and a name check
  // alone would read it as the app's provider and register nothing. The name
  // still tells another copy of the API's no-op.
  return delegate !== NOOP_PROVIDER && delegate.constructor?.name !== 'NoopTracerProvider';
}

/** A proxy with nothing behind it hands back the API's own no-op provider. */
const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();

function fanOut(processors: SpanProcessor[]): SpanProcessor {
  if (processors.length === 1 && processors[0]) return processors[0];
  return {
    onStart: (span, ctx) => {
      for (const p of processors) p.onStart(span, ctx);
    },
    onEnd: (span) => {
      for (const p of processors) p.onEnd(span);
    },
    forceFlush: async () => {
      await Promise.all(processors.map((p) => p.forceFlush()));
    },
    shutdown: async () => {
      await Promise.all(processors.map((p) => p.shutdown()));
    },
  };
}

function envNumber(name: string): number | undefined {
  const raw = process.env[name];
  if (!raw) return undefined;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

async function guard(p: Promise<void>): Promise<void> {
  try {
    await p;
  } catch (error) {
    // A failed flush is an export failure: same key, so a dead collector still costs one line.
    diagnoseOnce(
      'export',
      `cannot export spans (${errorName(error)}); the app is unaffected, further failures are not logged`,
    );
  }
}

function inertHandle(): OversightHandle {
  const noop: SpanProcessor = {
    onStart: () => {},
    onEnd: () => {},
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  const handle: OversightHandle = {
    registered: false,
    tracerProvider: undefined,
    spanProcessor: noop,
    exporter: undefined,
    instrumentations: [],
    content: new ContentPolicy(),
    prices: new PriceTable(),
    flush: async () => {},
    shutdown: async () => {
      if (current === handle) current = undefined;
    },
  };
  return handle;
}
