/**
 * Follow-ups in a conversation: after some questions of a `{text, intent}`
 * set, the user asks again without naming the subject ("is that free?",
 * "how long does that take?"). Labelled with the intent of the question they
 * follow, since that is what they are about, they are clustered two ways:
 * read alone, as the last user message is, and read as topics read them
 * (`questionText(followUp, earlier)`: after the message before, when they
 * do not name their subject). NMI / ARI (topics) over every row, and over
 * the first questions alone, which must not pay for it; the file's order,
 * then the mean of ten seeded orders of the conversations.
 *
 * Usage: npx node tools/topics/follow-ups.ts <file.jsonl>
 * Env: RATE (share of questions followed up, 0.3), SEED (11), OUT (a file
 *      to write the conversations to, in order, each follow-up as
 *      `{text, intent, earlier}`: the eval reads such a row as the collector
 *      reads a follow-up).
 *
 * tools/data/topics/chat-intents.follow-ups.jsonl is OUT on chat-intents.jsonl
 * with the defaults (`npm run eval` clusters it).
 *
 * Measured 2026-12-05 with the student: docs/topics.md, "Follow-ups".
 */
import { writeFileSync } from 'node:fs';
import { seededRandom } from '@oversight/scorers';
import { questionText } from '@oversight/scorers/embed';
import {
  clusterRows,
  type IntentRow,
  partitionFigures,
  readIntentRows,
  shuffledOrders,
} from '../../collector/src/eval/topics.ts';
import { FOLLOW_UPS } from './generic-follow-ups.ts';

const file = process.argv[2];
if (!file) throw new Error('usage: follow-ups.ts <file.jsonl>');
const rate = Number(process.env.RATE ?? 0.3);
const random = seededRandom(Number(process.env.SEED ?? 11));

/** One conversation: a question, then maybe a follow-up about it. */
interface Conversation {
  first: IntentRow;
  followUp?: string;
}
const conversations: Conversation[] = (await readIntentRows(file)).map((first) =>
  random() < rate
    ? { first, followUp: FOLLOW_UPS[Math.floor(random() * FOLLOW_UPS.length)] as string }
    : { first },
);

function figures(order: readonly Conversation[], withEarlier: boolean) {
  const rows: IntentRow[] = [];
  const isFirst: boolean[] = [];
  for (const { first, followUp } of order) {
    rows.push(first);
    isFirst.push(true);
    if (followUp === undefined) continue;
    rows.push({ text: withEarlier ? questionText(followUp, first.text) : followUp, intent: first.intent });
    isFirst.push(false);
  }
  const { topicIds } = clusterRows(rows);
  return {
    all: partitionFigures(topicIds, rows),
    first: partitionFigures(
      topicIds.filter((_, i) => isFirst[i]),
      rows.filter((_, i) => isFirst[i]),
    ),
  };
}

if (process.env.OUT) {
  const lines = conversations.flatMap(({ first, followUp }) => [
    JSON.stringify({ text: first.text, intent: first.intent }),
    ...(followUp === undefined
      ? []
      : [JSON.stringify({ text: followUp, intent: first.intent, earlier: first.text })]),
  ]);
  writeFileSync(process.env.OUT, `${lines.join('\n')}\n`);
  console.log(`${lines.length} rows → ${process.env.OUT}`);
}

const orders = [conversations, ...shuffledOrders(conversations, 10)];
const fmt = (r: { nmi: number; ari: number; topics: number }) =>
  `${r.nmi.toFixed(3)} / ${r.ari.toFixed(3)} (${r.topics})`;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const followed = conversations.filter((c) => c.followUp !== undefined).length;
console.log(`${file}: ${conversations.length} questions, ${followed} followed up`);
for (const withEarlier of [false, true]) {
  const runs = orders.map((o) => figures(o, withEarlier));
  const [file0] = runs;
  const rest = runs.slice(1);
  const line = (k: 'all' | 'first') =>
    `${fmt(file0?.[k] as never)}; over ten orders ${mean(rest.map((r) => r[k].nmi)).toFixed(3)} / ${mean(rest.map((r) => r[k].ari)).toFixed(3)}`;
  console.log(withEarlier ? 'after the message before' : 'alone');
  console.log(`  every row       ${line('all')}`);
  console.log(`  first questions ${line('first')}`);
}
