/**
 * The specifier of a module next to the caller, with the caller's own
 * extension: `.ts` when the repo runs its sources, `.js` in the built package.
 * Specifiers built at run time are not rewritten by the compiler.
 */
export function siblingModule(pathWithoutExtension: string, callerUrl: string): string {
  return `${pathWithoutExtension}${callerUrl.endsWith('.ts') ? '.ts' : '.js'}`;
}
