/**
 * The reservoirs a project's gap evidence is read against (gaps.ts: its top
 * retrieval scores and the readings against its peers, per score scale; how
 * near its questions came to earlier ones, per topic space; its context
 * relevances), kept in `gap_state` (migration 021) so a restart does not
 * start them cold. Cold, a project's first 50 questions after a restart are
 * judged without a distribution, and the percentiles of the next hundreds
 * rest on few values: banking77 restarted every 500 questions lost 0.022 of
 * gap AUROC (0.836 → 0.814 with the student; the topics' mean scores, kept
 * in their rows, were half of it; docs/topics.md, "Restarts").
 */
import { z } from 'zod';
import { clickHouseTime } from '../../store/json-each-row.ts';
import type { Row, Store } from '../../store/store.ts';
import { GAP_STATE } from '../../store/tables.ts';
import type { GapCalibrator, PeerNearness, RelevanceCalibrator, RetrievalCalibrator } from './gaps.ts';
import { keyedRows, parseStateRow, STATE_EVERY_MS, StateRewrites, storedCount } from './state-rewrites.ts';

/** What holds the reservoirs: the topics enricher's calibrators, keyed as it keys them. */
export interface GapStateHolders {
  /** Keyed `${projectId}\u0000${scale}`. */
  calibrators: ReadonlyMap<string, GapCalibrator>;
  calibrator(projectId: string, scale: string): GapCalibrator;
  nearness: PeerNearness;
  relevances: RelevanceCalibrator;
}

const KINDS = ['retrieval', 'relative', 'nearness', 'relevance'] as const;
type Kind = (typeof KINDS)[number];

interface Located {
  projectId: string;
  kind: Kind;
  key: string;
  reservoir: RetrievalCalibrator;
}

function split(key: string): [string, string] {
  const at = key.indexOf('\u0000');
  return at < 0 ? [key, ''] : [key.slice(0, at), key.slice(at + 1)];
}

function* located(holders: GapStateHolders): Generator<Located> {
  for (const [k, c] of holders.calibrators) {
    const [projectId, scale] = split(k);
    const { top, relative } = c.reservoirs;
    yield { projectId, kind: 'retrieval', key: scale, reservoir: top };
    yield { projectId, kind: 'relative', key: scale, reservoir: relative };
  }
  for (const [k, reservoir] of holders.nearness.entries()) {
    const [projectId, space] = split(k);
    yield { projectId, kind: 'nearness', key: space, reservoir };
  }
  for (const [projectId, reservoir] of holders.relevances.entries())
    yield { projectId, kind: 'relevance', key: '', reservoir };
}

function reservoirOf(
  holders: GapStateHolders,
  projectId: string,
  kind: Kind,
  key: string,
): RetrievalCalibrator {
  if (kind === 'retrieval') return holders.calibrator(projectId, key).reservoirs.top;
  if (kind === 'relative') return holders.calibrator(projectId, key).reservoirs.relative;
  if (kind === 'nearness') return holders.nearness.reservoir(`${projectId}\u0000${key}`);
  return holders.relevances.reservoir(projectId);
}

/** `gap_state` rows for the reservoirs that took values since they were last written, at most once every `everyMs`. */
export class GapStateWriter {
  private readonly rewrites: StateRewrites<RetrievalCalibrator>;
  private readonly holders: GapStateHolders;

  constructor(holders: GapStateHolders, everyMs = STATE_EVERY_MS) {
    this.holders = holders;
    this.rewrites = new StateRewrites(everyMs);
  }

  /** Marks what a restore loaded as written: it is in the table already. */
  loaded(reservoir: RetrievalCalibrator): void {
    this.rewrites.loaded(reservoir, reservoir.count);
  }

  /** What changed since it was written, once a round is due (`atStop`: at once, for a clean stop). */
  rows(at: Date, atStop = false): Row[] {
    if (!this.rewrites.due(at, atStop)) return [];
    const updated = clickHouseTime(at);
    const rows: Row[] = [];
    for (const { projectId, kind, key, reservoir } of located(this.holders)) {
      if (!this.rewrites.take(reservoir, reservoir.count)) continue;
      const { sample, seen } = reservoir.state();
      rows.push({ project_id: projectId, kind, key, sample, seen, updated_at: updated });
    }
    return rows;
  }
}

const gapStateRow = z.object({
  project_id: z.string().min(1),
  kind: z.enum(KINDS),
  key: z.string(),
  sample: z.array(z.number().finite()),
  seen: storedCount,
});

/** Rows a query: a row holds up to 2,048 numbers as JSON (≈ 40 KiB), a busy project several. */
const PAGE = 256;

/**
 * Loads every stored reservoir into `holders` (the newest row of each). A bad
 * row is reported and skipped; the others load.
 */
export async function restoreGapState(
  store: Pick<Store, 'query' | 'database'>,
  holders: GapStateHolders,
  writer?: GapStateWriter,
): Promise<{ restored: number; errors: string[] }> {
  const errors: string[] = [];
  let restored = 0;
  const rows = keyedRows(store, GAP_STATE, ['project_id', 'kind', 'key'], ['sample', 'seen'], PAGE);
  for await (const { row, at } of rows) {
    const parsed = parseStateRow(gapStateRow, row, GAP_STATE, at);
    if ('error' in parsed) {
      errors.push(parsed.error);
      continue;
    }
    const r = parsed.data;
    const reservoir = reservoirOf(holders, r.project_id, r.kind, r.key);
    reservoir.load({ sample: r.sample, seen: r.seen });
    writer?.loaded(reservoir);
    restored++;
  }
  return { restored, errors };
}
