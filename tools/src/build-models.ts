/**
 * Rebuilds the models shipped in the scorers package (scorers/src/models) from
 * the dev sets in a directory (default ../shared/eval) and the hand-written
 * refusal set in @oversight/tools:
 * `npx node tools/src/build-models.ts [dir]`.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultModelPath, train } from '@oversight/collector/eval';
import type { TaskName } from '@oversight/scorers';
import { TRAINING_DATA_DIR } from './data-dir.ts';

const dir = process.argv[2] ?? '../shared/eval';
const sources: Record<TaskName, string> = {
  jailbreak: join(dir, 'jailbreak.dev.jsonl'),
  injection: join(dir, 'prompt-injection.dev.jsonl'),
  toxicity: join(dir, 'toxicity.dev.jsonl'),
  refusal: fileURLToPath(new URL('refusal.jsonl', TRAINING_DATA_DIR)),
};
for (const [task, file] of Object.entries(sources) as [TaskName, string][]) {
  const { model, out } = await train(task, file, defaultModelPath(task), {
    auxDir: dir,
  });
  console.log(`${task}: ${model.version} → ${out}`);
}
