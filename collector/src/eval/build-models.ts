/**
 * Rebuilds the models shipped in sdk/src/scorers/models from the dev sets in
 * a directory (default ../shared/eval) and the package's own refusal set:
 * `node collector/src/eval/build-models.ts [dir]`.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCORER_DATA_DIR, SCORER_MODELS_DIR, type TaskName } from '@oversight/sdk/scorers';
import { train } from './train.ts';

const dir = process.argv[2] ?? '../shared/eval';
const sources: Record<TaskName, string> = {
  jailbreak: join(dir, 'jailbreak.dev.jsonl'),
  injection: join(dir, 'prompt-injection.dev.jsonl'),
  toxicity: join(dir, 'toxicity.dev.jsonl'),
  refusal: fileURLToPath(new URL('refusal.jsonl', SCORER_DATA_DIR)),
};
for (const [task, file] of Object.entries(sources) as [TaskName, string][]) {
  const { model, out } = await train(task, file, fileURLToPath(new URL(`${task}.json`, SCORER_MODELS_DIR)), {
    auxDir: dir,
  });
  console.log(`${task}: ${model.version} → ${out}`);
}
