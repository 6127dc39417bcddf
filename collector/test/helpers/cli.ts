import { type ExecFileOptions, execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** The repo's Node (24, from the `node` npm package), whatever node runs vitest. */
const NODE = resolve(import.meta.dirname, '../../../node_modules/.bin/node');
// The child runs the repo's sources: @oversight/* resolve to src/ under this condition (exports default to dist).
const SOURCE = '--conditions=oversight:source';
const CLI = resolve(import.meta.dirname, '../../src/cli.ts');

/** Runs `oversight <args>` from the sources as a user runs the CLI; rejects on a non-zero exit, as execFile does. */
export function oversight(
  args: readonly string[],
  options: ExecFileOptions = {},
): Promise<{ stdout: string; stderr: string }> {
  return run(NODE, [SOURCE, CLI, ...args], { ...options, encoding: 'utf8' }) as Promise<{
    stdout: string;
    stderr: string;
  }>;
}

export interface CliOutcome {
  /** The exit code; null when a signal or the timeout ended the process. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `oversight <args>`, settled either way: its exit code and output. */
export function oversightOutcome(
  args: readonly string[],
  options: ExecFileOptions = {},
): Promise<CliOutcome> {
  return oversight(args, options).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: CliOutcome) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}
