/**
 * Picks the built-in embedder's word share and the clusterer's thresholds on
 * half of a labelled set's intents and reports the other half (and a
 * retrieval gap AUROC on the kb-gaps protocol), so shipped constants are not
 * fitted to the rows they are judged on.
 *
 * Usage: npx node tools/embed/sweep.ts <file.jsonl> [table.bin]
 * Env: SHARE, ASSIGN, MERGE, ABSORB (comma lists), CHAR, BIGRAM, CENTRE=0.
 *
 * Measured 2026-12-03 on banking77.dev (constants picked on the even intents;
 * "held" = odd intents; "all" = the whole file at the picked constants; table:
 * 45k words × 96 components fitted on 12,800 synthetic sentences, λ 3):
 *   hashed only (v1)         held NMI 0.719 ARI 0.420, all NMI 0.650 ARI 0.281 124/77, gap 0.775
 *   + words, share 0.2       held NMI 0.701 ARI 0.390, all NMI 0.614 ARI 0.226  89/77, gap 0.775
 *   + words, share 0.35      held NMI 0.697 ARI 0.391, all NMI 0.602 ARI 0.203  83/77, gap 0.775
 *   + words, 0.2, merge 0.6  held NMI 0.702 ARI 0.394, all NMI 0.620 ARI 0.241  91/77, gap 0.775
 *   + words, 0.35, merge 0.7 held NMI 0.702 ARI 0.402, all NMI 0.618 ARI 0.241  93/77, gap 0.775
 *   + words, share 0.5       held NMI 0.680 ARI 0.354, all NMI 0.602 ARI 0.199 102/77, gap 0.772
 *   + raw words, share 0.2   held NMI 0.624 ARI 0.105 (assign at grid edge 0.34), gap 0.788
 *   + raw words, share 0.35  held NMI 0.555 ARI 0.066 (assign at grid edge 0.42), gap 0.797
 *   hashed, bigram weight 1  held NMI 0.724 ARI 0.407, all NMI 0.666 ARI 0.289 164/77, gap 0.777
 */
import { readFileSync } from 'node:fs';
import { HashedEmbedder, WordTable } from '@oversight/scorers/embed';
import type { ClustererOptions } from '../../collector/src/enrich/topics/clusterer.ts';
import {
  clusterRows,
  type IntentRow,
  partitionFigures,
  readIntentRows,
} from '../../collector/src/eval/topics.ts';
import { intentHalves, retrievalGapAuroc } from '../topics/protocol.ts';

const [file, tableFile] = process.argv.slice(2);
if (!file) throw new Error('usage: sweep.ts <file.jsonl> [table.bin]');
const table = tableFile ? WordTable.parse(readFileSync(tableFile), tableFile) : undefined;
const rows = await readIntentRows(file);
const list = (name: string, dflt: string) => (process.env[name] ?? dflt).split(',').map(Number);

const charWeight = Number(process.env.CHAR ?? 0.25);
const bigramWeight = Number(process.env.BIGRAM ?? 0.5);
function embedderFor(share: number): HashedEmbedder {
  return new HashedEmbedder({
    charWeight,
    bigramWeight,
    ...(share > 0 && table
      ? { wordTable: table, wordShare: share, centreWords: process.env.CENTRE !== '0' }
      : {}),
  });
}

function cluster(part: readonly IntentRow[], share: number, options: ClustererOptions) {
  const e = embedderFor(share);
  const embedding = { id: e.id, vector: (r: IntentRow) => e.embedOne(r.text) };
  return partitionFigures(clusterRows(part, options, 'p', embedding).topicIds, part);
}

/** Retrieval half of the kb-gaps protocol: AUROC of 1 − mean top-3 similarity. */
function gapAuroc(share: number): number {
  return retrievalGapAuroc(file as string, rows, embedderFor(share));
}

const { tune, held } = intentHalves(rows);
const fmt = (r: ReturnType<typeof cluster>) =>
  `nmi ${r.nmi.toFixed(3)} ari ${r.ari.toFixed(3)} topics ${r.topics}/${r.intents}`;

for (const share of list('SHARE', table ? '0,0.5' : '0')) {
  let best: { o: ClustererOptions; score: number; line: string } | undefined;
  for (const a of list('ASSIGN', '0.22,0.26,0.3,0.34,0.38'))
    for (const m of list('MERGE', '0.5,0.6'))
      for (const b of list('ABSORB', '0.12')) {
        const o = { assignThreshold: a, mergeThreshold: m, absorbThreshold: b };
        const r = cluster(tune, share, o);
        const score = r.ari + r.nmi - (r.topicsPerIntent > 2 ? 1 : 0);
        const line = `assign ${a} merge ${m} absorb ${b}: ${fmt(r)}`;
        if (process.env.VERBOSE) console.log(`  share ${share} tune ${line}`);
        if (!best || score > best.score) best = { o, score, line };
      }
  if (!best) continue;
  const h = cluster(held, share, best.o);
  const all = cluster(rows, share, best.o);
  console.log(
    `char ${charWeight} bigram ${bigramWeight} share ${share}: tune ${best.line} | held ${fmt(h)} | all ${fmt(all)} | gap auroc ${gapAuroc(share).toFixed(3)}`,
  );
}
