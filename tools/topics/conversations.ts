/**
 * Conversations of several questions: a user asks one question, maybe a
 * follow-up about it ("is that free?"), then another question of its own,
 * and so on. Topics must read a follow-up after the message before it
 * (docs/topics.md, "Follow-ups") and a new question alone: read after an
 * unrelated question, it takes that question's subject, and the two meet in
 * one topic. tools/topics/follow-ups.ts measures the first; this measures
 * both at once.
 *
 * The set's rows in file order make conversations of LEN questions; after
 * each question, with probability RATE, one of the generic follow-ups
 * (labelled with the intent of the question it follows). Every message but
 * a conversation's first carries the user's messages before it (the latest
 * first, at most four, as pairing keeps them). Clustered as topics read
 * them (`questionText(text, earlier)`), and with the ideal reading (every
 * question alone, every follow-up after its question), NMI / ARI (topics):
 * every row, and the later questions alone. Also counted: later questions
 * read after another message, and follow-ups read alone.
 *
 * Usage: npx node tools/topics/conversations.ts <file.jsonl>
 * Env: LEN (3), RATE (0.3), SEED (11).
 */
import { seededRandom } from '@oversight/scorers';
import { questionReading } from '@oversight/scorers/embed';
import {
  clusterRows,
  type IntentRow,
  partitionFigures,
  readIntentRows,
} from '../../collector/src/eval/topics.ts';
import { FOLLOW_UPS } from './generic-follow-ups.ts';

const file = process.argv[2];
if (!file) throw new Error('usage: conversations.ts <file.jsonl>');
const length = Number(process.env.LEN ?? 3);
const rate = Number(process.env.RATE ?? 0.3);
const random = seededRandom(Number(process.env.SEED ?? 11));
const EARLIER_KEPT = 4;

interface Message {
  text: string;
  intent: string;
  earlier: string[];
  kind: 'first' | 'later' | 'follow-up';
  /** For a follow-up, the question it follows. */
  follows?: string;
}

const messages: Message[] = [];
const rows = await readIntentRows(file);
for (let start = 0; start < rows.length; start += length) {
  const said: string[] = [];
  rows.slice(start, start + length).forEach((r, i) => {
    messages.push({
      text: r.text,
      intent: r.intent,
      earlier: said.slice(0, EARLIER_KEPT),
      kind: i === 0 ? 'first' : 'later',
    });
    said.unshift(r.text);
    if (random() < rate) {
      const followUp = FOLLOW_UPS[Math.floor(random() * FOLLOW_UPS.length)] as string;
      messages.push({
        text: followUp,
        intent: r.intent,
        earlier: said.slice(0, EARLIER_KEPT),
        kind: 'follow-up',
        follows: r.text,
      });
      said.unshift(followUp);
    }
  });
}

function figures(read: (m: Message) => string) {
  const clustered: IntentRow[] = messages.map((m) => ({ text: read(m), intent: m.intent }));
  const { topicIds } = clusterRows(clustered);
  const later = messages.map((m) => m.kind === 'later');
  return {
    all: partitionFigures(topicIds, clustered),
    later: partitionFigures(
      topicIds.filter((_, i) => later[i]),
      clustered.filter((_, i) => later[i]),
    ),
  };
}

const fmt = (r: { nmi: number; ari: number; topics: number }) =>
  `${r.nmi.toFixed(3)} / ${r.ari.toFixed(3)} (${r.topics})`;
const asRead = (m: Message) => questionReading(m.text, m.kind === 'first' ? undefined : m.earlier);
const laterGlued = messages.filter((m) => m.kind === 'later' && asRead(m).followUp).length;
const followUpsAlone = messages.filter((m) => m.kind === 'follow-up' && !asRead(m).followUp).length;
const count = (k: Message['kind']) => messages.filter((m) => m.kind === k).length;
console.log(
  `${file}: ${messages.length} messages (${count('first')} first, ${count('later')} later questions, ${count('follow-up')} follow-ups)`,
);
console.log(
  `  later questions read after another message: ${laterGlued}; follow-ups read alone: ${followUpsAlone}`,
);
const topics = figures((m) => asRead(m).text);
console.log(`  as topics read them   every row ${fmt(topics.all)}   later questions ${fmt(topics.later)}`);
const ideal = figures((m) => questionReading(m.text, m.follows).text);
console.log(`  ideal reading         every row ${fmt(ideal.all)}   later questions ${fmt(ideal.later)}`);
