/** `@oversight/sdk/scorers`: the scorers package, re-exported so existing imports keep working. */
export * from '@oversight/scorers';
