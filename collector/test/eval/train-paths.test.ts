/**
 * Where training reads hand-made rows from and writes models to: rows from the
 * repo-only @oversight/tools, models over the scorers package's shipped files
 * in a repo checkout.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultModelPath, handMadeRows } from '../../src/eval/train.ts';

describe('training paths', () => {
  it('finds the hand-made rows in @oversight/tools, and none that do not exist', () => {
    const refusal = handMadeRows('refusal.jsonl');
    expect(refusal).toBe(fileURLToPath(new URL('../../../tools/data/refusal.jsonl', import.meta.url)));
    expect(existsSync(refusal as string)).toBe(true);
    expect(handMadeRows('no-such-task.extra.jsonl')).toBeUndefined();
  });

  it('writes a retrained model over the shipped one in a repo checkout', () => {
    const path = defaultModelPath('toxicity');
    expect(path).toBe(fileURLToPath(new URL('../../../scorers/src/models/toxicity.json', import.meta.url)));
    expect(existsSync(path)).toBe(true);
  });
});
