import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEval } from '../../src/eval/commands.ts';
import {
  evaluateGroundedness,
  lengthMatchedAuroc,
  parseGroundednessRows,
} from '../../src/eval/groundedness.ts';

let dir: string;
const CONTEXT = [
  'The Eiffel Tower was completed in 1889 for the World Fair in Paris.',
  'It was designed by the engineering company of Gustave Eiffel and is 330 metres tall.',
];
const rows = [
  { question: 'When was the Eiffel Tower completed?', answer: '1889', label: 'grounded' },
  {
    question: 'When was the Eiffel Tower completed?',
    answer: 'It was completed in 1899.',
    label: 'hallucinated',
  },
  { question: 'How tall is the Eiffel Tower?', answer: 'It is 330 metres tall.', label: 'grounded' },
  { question: 'How tall is the Eiffel Tower?', answer: 'It is 300 metres tall.', label: 'hallucinated' },
  { question: 'Who designed it?', answer: 'The company of Gustave Eiffel designed it.', label: 'grounded' },
  { question: 'Who designed it?', answer: 'It was designed by Le Corbusier.', label: 'hallucinated' },
  { question: 'Who designed it?', answer: "I don't know.", label: 'grounded' },
].map((r, i) => ({ id: i, context: CONTEXT, ...r }));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oversight-geval-'));
  await writeFile(join(dir, 'g.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('groundedness eval', () => {
  it('reports metrics, length-matched AUROC and refusals on {question, context, answer, label} rows', async () => {
    const r = await evaluateGroundedness(join(dir, 'g.jsonl'));
    expect(r).toMatchObject({ task: 'groundedness', rows: 7, positives: 3, negatives: 4, refusals: 1 });
    expect(r.auroc).toBe(1);
    expect([r.tp, r.fp]).toEqual([3, 0]);
    // Pairs within 10 % answer length: "It was completed in 1899." (25) vs "It is 330 metres tall." (22) is out,
    // "It is 300 metres tall." vs "It is 330 metres tall." is in.
    expect(r.lengthMatchedPairs).toBeGreaterThan(0);
    expect(r.lengthMatchedAuroc).toBe(1);
  });

  it('restricts the length-matched AUROC to pairs within the tolerance', () => {
    // Positive 0 (len 100) outranks negative 1 (len 105); negative 2 (len 10) is too short to pair.
    expect(lengthMatchedAuroc([0.9, 0.1, 0.95], [true, false, false], [100, 105, 10])).toEqual({
      auroc: 1,
      pairs: 1,
    });
    expect(lengthMatchedAuroc([0.9, 0.1], [true, false], [100, 200]).pairs).toBe(0);
  });

  it('rejects a row without an answer, naming the line and the field', () => {
    expect(() => parseGroundednessRows('{"context":"c","label":"grounded"}', 'f.jsonl')).toThrow(
      /f\.jsonl:1: answer/,
    );
    expect(() => parseGroundednessRows('nope', 'f.jsonl')).toThrow(/f\.jsonl:1: not JSON/);
  });

  it('runs through the eval command with --task groundedness --json', async () => {
    const printed: string[] = [];
    await runEval({ task: 'groundedness', data: join(dir, 'g.jsonl'), json: true }, (s) => printed.push(s));
    const report = JSON.parse(printed[0] as string);
    expect(report.task).toBe('groundedness');
    expect(report.lengthMatchedAuroc).toBe(1);
    const table: string[] = [];
    await runEval({ task: 'groundedness', data: join(dir, 'g.jsonl') }, (s) => table.push(s));
    expect(table[0]).toMatch(/lenAUROC/);
  });
});
