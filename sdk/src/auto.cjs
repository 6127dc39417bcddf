// CommonJS entry of `@oversight/sdk/auto`: `require('@oversight/sdk/auto')`
// as the first line of a CommonJS app. Node >= 22.12 loads the ESM setup
// synchronously, so the require hooks are in place before the app's next require.
require('./auto-setup.ts');
