/**
 * What was learned of each recent question when it was first asked, by its
 * project and the text topics read of it: a repeat is then read as its first
 * copy was (gaps.ts `PeerNearness`), and a follow-up that names no subject of
 * its own joins the topic of the question it follows (enricher.ts). Keyed by
 * a digest, so a pasted document costs its 28 bytes like any question;
 * bounded by `capacity` over all projects, the most recently used kept.
 */
import { createHash } from 'node:crypto';
import { RecentMap } from '@oversight/scorers';

export class RecentQuestions<V> {
  private readonly entries: RecentMap<string, V>;

  constructor(capacity: number) {
    this.entries = new RecentMap(capacity);
  }

  /** What `question` of `projectId` (in `space`, when the value is one space's) was first given, if still kept. */
  use(projectId: string, question: string, space = ''): V | undefined {
    return this.entries.use(key(projectId, question, space));
  }

  set(projectId: string, question: string, value: V, space = ''): void {
    this.entries.set(key(projectId, question, space), value);
  }
}

function key(projectId: string, question: string, space: string): string {
  return createHash('sha1')
    .update(projectId)
    .update('\u0000')
    .update(space)
    .update('\u0000')
    .update(question)
    .digest('base64');
}

/**
 * Recent questions, over all projects, whose topics a follow-up can join
 * (≈ 1 MiB): a follow-up comes seconds or minutes after what it follows.
 */
const QUESTIONS_FOLLOWED = 8_192;

/**
 * The topic each recent question was placed in. An app that embeds a
 * follow-up as the user sent it ("is that free?") for its retrieval sends a
 * vector of no subject, and the reading topics compose for it cannot be
 * embedded in the app's space: the follow-up joins the topic of the question
 * it follows instead (`QuestionReading.after`).
 */
export class PlacedQuestions {
  private readonly topics: RecentQuestions<string>;

  constructor(capacity = QUESTIONS_FOLLOWED) {
    this.topics = new RecentQuestions(capacity);
  }

  place(projectId: string, question: string, topicId: string): void {
    this.topics.set(projectId, question, topicId);
  }

  /** The topic `question` was placed in, under its id now (`resolve`: after merges); undefined once forgotten or gone. */
  topicOf(
    projectId: string,
    question: string,
    resolve: (projectId: string, topicId: string) => string | undefined,
  ): string | undefined {
    const id = this.topics.use(projectId, question);
    return id === undefined ? undefined : resolve(projectId, id);
  }
}
