/**
 * The schemas of `init()` options and price overrides. Loaded on first use
 * through `optionSchemas()` (option-checks.ts), never imported statically.
 */
import { z } from 'zod';
import { ENDPOINT_PROBLEM, endpointProblem } from './endpoint.ts';

export const modelPriceSchema = z.object({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  cacheRead: z.number().nonnegative().optional(),
  cacheWrite: z.number().nonnegative().optional(),
});
export const priceOverridesSchema = z.record(z.string().min(1), modelPriceSchema);
export type PriceOverrides = z.infer<typeof priceOverridesSchema>;

export const initOptionsSchema = z.object({
  // The check OVERSIGHT_ENDPOINT gets too.
  endpoint: z
    .string({ error: ENDPOINT_PROBLEM })
    .refine((endpoint) => endpointProblem(endpoint) === undefined, { error: ENDPOINT_PROBLEM })
    .optional(),
  apiKey: z.string().optional(),
  serviceName: z.string().min(1).optional(),
  prices: priceOverridesSchema.optional(),
  maxContentLength: z.number().positive().optional(),
});
