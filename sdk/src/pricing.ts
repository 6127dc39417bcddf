import { optionSchemas } from './option-checks.ts';
import type { PriceOverrides } from './options-schema.ts';
import { DEFAULT_PRICES, type ModelPrice } from './price-table.ts';

export type { PriceOverrides } from './options-schema.ts';
export type { ModelPrice } from './price-table.ts';

/**
 * Token counts in the GenAI conventions' sense: `inputTokens` counts every
 * input token, cached ones included, and `outputTokens` every output token,
 * reasoning included. The cache and reasoning counts are subsets.
 */
export interface TokenUsage {
  inputTokens?: number;
  outputTokens?: number;
  cacheReadTokens?: number;
  cacheCreationTokens?: number;
  reasoningTokens?: number;
}

const PER_TOKEN = 1 / 1_000_000;

export class PriceTable {
  readonly #prices: Map<string, ModelPrice>;
  /** Longest key first, so `gpt-4o-mini-2024…` finds `gpt-4o-mini` before `gpt-4o`. */
  readonly #prefixes: string[];
  readonly #memo = new Map<string, ModelPrice | null>();

  constructor(overrides: PriceOverrides = {}) {
    // No overrides (the usual case, and auto's): nothing to check, so zod stays unloaded.
    const parsed =
      Object.keys(overrides).length === 0 ? {} : optionSchemas().priceOverridesSchema.parse(overrides);
    this.#prices = new Map(
      Object.entries({ ...DEFAULT_PRICES, ...parsed }).map(([k, v]) => [k.toLowerCase(), v]),
    );
    this.#prefixes = [...this.#prices.keys()].sort((a, b) => b.length - a.length);
  }

  /** Price of a model id, matching dated snapshots and provider prefixes (`openai/`, `models/`). */
  lookup(model: string | undefined): ModelPrice | undefined {
    if (!model) return undefined;
    const cached = this.#memo.get(model);
    if (cached !== undefined) return cached ?? undefined;
    const found = this.#find(model.toLowerCase());
    if (this.#memo.size < 1000) this.#memo.set(model, found ?? null);
    return found;
  }

  #find(id: string): ModelPrice | undefined {
    const bare = id.includes('/') ? id.slice(id.lastIndexOf('/') + 1) : id;
    const found = this.#match(bare);
    if (found) return found;
    // Bedrock names a model by vendor and, for inference profiles, region:
    // `anthropic.claude-3-5-haiku-20241022-v1:0`, `us.anthropic.claude-sonnet-4-…`.
    const vendorless = bare.replace(/^(?:[a-z]+\.)+(?=[a-z])/, '');
    return vendorless === bare ? undefined : this.#match(vendorless);
  }

  #match(bare: string): ModelPrice | undefined {
    const exact = this.#prices.get(bare);
    if (exact) return exact;
    for (const key of this.#prefixes) {
      if (bare.startsWith(key) && isSnapshotOf(bare.slice(key.length))) return this.#prices.get(key);
    }
    return undefined;
  }

  /** USD cost of one call, or undefined when the model is not priced or nothing was counted. */
  cost(model: string | undefined, usage: TokenUsage): number | undefined {
    const price = this.lookup(model);
    if (!price) return undefined;
    return costOf(price, usage);
  }
}

/**
 * Whether what follows a price row's key names a snapshot of that model, so it
 * shares the row's price: a date, a version or a release channel
 * (`-2024-08-06`, `-0914`, `@20241022`, `-v1:0`, `-v2`, `-001`, `-preview`,
 * `-latest`). A word there names a variant with a price of its own (`-pro`,
 * `-instruct`, `-audio-preview`, `-16k`): priced as its base model its cost
 * would be a fraction of the bill (o1-pro costs ten times o1), so it goes
 * unpriced unless it has a row of its own.
 * The suffix must start at a separator: `o1` prices `o1-2024-12-17`, not `o1x`.
 */
function isSnapshotOf(suffix: string): boolean {
  if (suffix === '') return true;
  if (!'-:@.'.includes(suffix[0] ?? '')) return false;
  return suffix
    .slice(1)
    .split(/[-:@.]/)
    .every((t) => /^v?\d+$/.test(t) || t === 'latest' || t === 'preview');
}

export function costOf(price: ModelPrice, usage: TokenUsage): number | undefined {
  const input = usage.inputTokens ?? 0;
  const output = usage.outputTokens ?? 0;
  if (usage.inputTokens === undefined && usage.outputTokens === undefined) return undefined;
  const cacheRead = Math.min(usage.cacheReadTokens ?? 0, input);
  const cacheWrite = Math.min(usage.cacheCreationTokens ?? 0, input - cacheRead);
  const fresh = input - cacheRead - cacheWrite;
  const usd =
    fresh * price.input +
    cacheRead * (price.cacheRead ?? price.input) +
    cacheWrite * (price.cacheWrite ?? price.input) +
    output * price.output;
  // Rounded to a nano-dollar so sums in ClickHouse do not show float noise.
  return Math.round(usd * PER_TOKEN * 1e9) / 1e9;
}

let defaultTable: PriceTable | undefined;
export function defaultPriceTable(): PriceTable {
  defaultTable ??= new PriceTable();
  return defaultTable;
}
