import * as nodeModule from 'node:module';
import { register as registerSync, supportsSyncHooks } from 'import-in-the-middle/register-hooks.mjs';
import { diagnoseOnce, errorName } from './safe.ts';

/** Packages whose ESM imports must pass through import-in-the-middle to be patchable. */
export const HOOKED_PACKAGES = ['openai', '@anthropic-ai/sdk'];

let registered = false;

/**
 * Lets the instrumentations patch ES modules. CommonJS needs nothing (the
 * require hook is installed by the instrumentations themselves). The loader
 * intercepts only the listed packages, so other imports pay nothing.
 */
export function registerModuleHooks(packages: string[] = HOOKED_PACKAGES): void {
  if (registered) return;
  registered = true;
  try {
    if (supportsSyncHooks()) {
      registerSync({ include: packages });
    } else {
      nodeModule.register('import-in-the-middle/hook.mjs', import.meta.url, { data: { include: packages } });
    }
  } catch (error) {
    diagnoseOnce('hooks', `ESM hooks unavailable (${errorName(error)}); use instrument(client) for ESM apps`);
  }
}
