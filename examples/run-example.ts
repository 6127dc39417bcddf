/**
 * Test support for the examples: runs one as a user would (its own Node
 * process, configured only through the environment) against a real collector
 * and the mock LLM, and returns what it printed.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const EXAMPLES_DIR = path.dirname(fileURLToPath(import.meta.url));

export interface ExampleRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node <file>` in the example's directory; the environment is the parent's minus any real keys, plus `env`. */
export async function runExample(
  example: string,
  file: string,
  env: Record<string, string>,
): Promise<ExampleRun> {
  // No real provider keys leak in from the developer's shell: examples fall back to the mock.
  const { OPENAI_API_KEY: _key, OPENAI_BASE_URL: _url, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--conditions=oversight:source', file], {
    cwd: path.join(EXAMPLES_DIR, example),
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  return { code, stdout, stderr };
}
