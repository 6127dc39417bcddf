/**
 * The schemas of `init()` options and price overrides. Loaded on first use
 * through `optionSchemas()` (option-checks.ts), never imported statically.
 */
import { z } from 'zod';

export const modelPriceSchema = z.object({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  cacheRead: z.number().nonnegative().optional(),
  cacheWrite: z.number().nonnegative().optional(),
});
export const priceOverridesSchema = z.record(z.string().min(1), modelPriceSchema);
export type PriceOverrides = z.infer<typeof priceOverridesSchema>;

export const initOptionsSchema = z.object({
  // http(s) only: "localhost:4318" is a valid URL of scheme "localhost:", and failed on export instead.
  endpoint: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).optional(),
  apiKey: z.string().optional(),
  serviceName: z.string().min(1).optional(),
  prices: priceOverridesSchema.optional(),
  maxContentLength: z.number().positive().optional(),
});
