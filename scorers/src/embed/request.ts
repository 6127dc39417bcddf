/**
 * The request of a message that says more than one thing. People tell a
 * chatbot what is going on before they ask ("I'm travelling next week. Can
 * I use my card in Spain?"), and every embedder reads the telling as part of
 * the subject: questions that share a context drift together, and one
 * subject asked with and without one drifts apart. Topics read the request
 * alone when it stands alone.
 *
 * Conservative on purpose. The request is the last sentence that asks (ends
 * in "?"); without one, a message is read whole, since a statement may be the
 * request ("Block my card.") or the context ("My wallet was stolen."), and
 * which comes last says nothing. It stands alone when it names its subject
 * (three words that are neither function words nor pointers) and points
 * back at nothing ("How do I fix this?", "Can they refund it?" need the
 * sentence before them). English only, by the share of function words: a
 * pointer list of one language would read another's request as standing
 * alone.
 *
 * The same test tells a follow-up that needs the message before it ("What
 * about France?") from one that names its own subject (`questionText`).
 *
 * Measured with context sentences put before banking77's questions, and on
 * banking77 as it is (docs/topics.md, "Context before the question" and
 * "Follow-ups").
 */
import { isFunctionWord, readsAsEnglish, words } from './hashed.ts';

/** Words of a request that point at something said before it. */
const POINTERS = new Set('it this that these those them they one such same'.split(' '));
/** Words of its own a request needs to name its subject. */
const SUBJECT_WORDS = 3;
/** Sentences end at . ? ! or … followed by a space, so "4.50" stays whole. */
const SENTENCE_END = /(?<=[.?!…])\s+/u;
const LETTER = /\p{L}/u;
/** What may follow the question mark of a request: closing quotes and brackets. */
const ASKS = /\?["'’”)\]]*$/u;

export function requestOf(text: string): string {
  if (!text.includes('?')) return text;
  const sentences = text.split(SENTENCE_END).filter((s) => LETTER.test(s));
  if (sentences.length < 2) return text;
  let at = sentences.length - 1;
  while (at >= 0 && !ASKS.test(sentences[at] as string)) at--;
  if (at < 0) return text;
  const all = words(text);
  if (!readsAsEnglish(all)) return text;
  const request = sentences[at] as string;
  return namesItsSubject(request) ? request : text;
}

/**
 * Whether a text names what it is about: three words that are neither
 * function words nor pointers, and no pointer back at something said
 * before it ("What about France?", "How do I fix this?" do not). The bar for
 * a request to stand without the context told before it in one message.
 */
export function namesItsSubject(text: string): boolean {
  const own = ownWords(words(text));
  return !own.points && own.subject >= SUBJECT_WORDS;
}

/** How many of a text's words are its own (neither function words nor pointers), and whether it points back. */
function ownWords(ws: readonly string[]): { subject: number; points: boolean } {
  let subject = 0;
  let points = false;
  for (const w of ws) {
    if (POINTERS.has(w)) points = true;
    else if (!isFunctionWord(w)) subject++;
  }
  return { subject, points };
}

/** Words a message opens with when it carries on from the one before ("and on weekends?"). */
const CARRIES_ON = new Set('and also or but plus'.split(' '));
/** Two-word openings that ask about the subject before with another detail ("what about France?"). */
const ASKS_ABOUT = new Set(['what about', 'how about']);
/** Fillers a carrying-on message may open with first ("ok, and then what?"). */
const FILLERS = new Set('ok okay so well right'.split(' '));
/** Words of its own a question that points back needs to stand alone all the same. */
const POINTING_SUBJECT_WORDS = 4;

/**
 * Whether a later message of a conversation asks about what was said before
 * it, and so is read after it. It does when it opens by carrying on ("and on
 * weekends?", "what about France?"), when it says too little of its own to
 * stand alone ("why?", "how much?": one word of its own at most), or when it
 * points back ("is that free?", "can I do it online?") without naming its
 * own subject in POINTING_SUBJECT_WORDS words ("does it support handwriting
 * recognition on tablets?" names it, "it" being the product). A new question
 * of two words of its own ("Can I connect Slack?", "Is there a student
 * discount?") stands alone: `namesItsSubject`'s bar of three read a third of
 * the later questions of conversations made of banking77's questions as
 * follow-ups of the unrelated question before them (tools/topics/conversations.ts).
 */
export function followsUp(text: string): boolean {
  const ws = words(text);
  let at = 0;
  while (at < ws.length - 1 && FILLERS.has(ws[at] as string)) at++;
  if (CARRIES_ON.has(ws[at] as string) || ASKS_ABOUT.has(`${ws[at]} ${ws[at + 1]}`)) return true;
  const { subject, points } = ownWords(ws);
  return points ? subject < POINTING_SUBJECT_WORDS : subject < 2;
}
