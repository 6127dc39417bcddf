// Type-checked only: the `require` condition's types (.d.cts) from a CommonJS module.
import sdk = require('@oversight/sdk');

const flushed: Promise<void> | undefined = sdk.getOversight()?.flush();
export = { flushed };
