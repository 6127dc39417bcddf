/**
 * The synchronous half of `@oversight/sdk/auto`: ESM loader hooks, then init()
 * (whose instrumentations install the require hooks). The CommonJS entry loads
 * only this, so `require('@oversight/sdk/auto')` stays synchronous.
 */
import { registerModuleHooks } from './hooks.ts';
import { initFromAuto } from './init.ts';

registerModuleHooks();
export const handle = initFromAuto();
