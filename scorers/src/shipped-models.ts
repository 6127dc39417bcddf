/**
 * The four shipped linear models, parsed once, and the bank that scores them
 * together: on the request path the guard runs several of them on the same
 * text, and they share one feature pass and one walk over the weights.
 */
import { createModelBank, type ModelBank } from './linear/bank.ts';
import { type LinearModel, parseModel } from './linear/model.ts';
import injection from './models/injection.json' with { type: 'json' };
import jailbreak from './models/jailbreak.json' with { type: 'json' };
import refusal from './models/refusal.json' with { type: 'json' };
import toxicity from './models/toxicity.json' with { type: 'json' };

export const jailbreakModel: LinearModel = parseModel(jailbreak);
export const promptInjectionModel: LinearModel = parseModel(injection);
export const toxicityModel: LinearModel = parseModel(toxicity);
export const refusalModel: LinearModel = parseModel(refusal);

export const shippedBank: ModelBank = createModelBank([
  promptInjectionModel,
  jailbreakModel,
  toxicityModel,
  refusalModel,
]);
