import type OpenAI from 'openai';

/** One article of the fictional product's help centre. */
export interface KbDocument {
  id: string;
  title: string;
  content: string;
}

/** The help centre of Lumen Notes, a fictional note-taking app: short, so retrieval is easy to follow. */
export const DOCUMENTS: readonly KbDocument[] = [
  {
    id: 'plans',
    title: 'Plans and pricing',
    content:
      'Lumen Notes has three plans: Free, Plus at $6 per month and Team at $12 per user per month. Annual billing saves two months.',
  },
  {
    id: 'export',
    title: 'Exporting notes',
    content:
      'You can export any notebook to PDF, Markdown or HTML from File > Export. Exports keep images and attachments.',
  },
  {
    id: 'offline',
    title: 'Offline mode',
    content:
      'Notes are available offline on every device and sync automatically when you reconnect. Conflicts are kept as two versions side by side.',
  },
  {
    id: 'sharing',
    title: 'Sharing notebooks',
    content:
      'Share a notebook with the Share button and choose view, comment or edit permission for each person. Links can expire after 7 days.',
  },
  {
    id: 'encryption',
    title: 'Encryption',
    content:
      'Team plan notebooks are end-to-end encrypted with keys that never leave your devices. Other plans encrypt notes at rest and in transit.',
  },
  {
    id: 'password-reset',
    title: 'Resetting your password',
    content:
      'To reset your password open Settings > Account > Reset password and follow the emailed link. The link is valid for 30 minutes.',
  },
  {
    id: 'refunds',
    title: 'Refunds',
    content:
      'Refunds are available within 14 days of a purchase or renewal. Ask for one from Settings > Billing > Request refund.',
  },
  {
    id: 'platforms',
    title: 'Supported platforms',
    content:
      'Lumen Notes runs on Windows, macOS, Linux, iOS, Android and in any modern web browser. The desktop apps update themselves.',
  },
  {
    id: 'storage',
    title: 'Storage limits',
    content:
      'Storage limits are 2 GB on Free, 50 GB on Plus and 1 TB per user on Team. Attachments count toward the limit, text does not.',
  },
  {
    id: 'integrations',
    title: 'Integrations',
    content:
      'Lumen Notes integrates with Slack, Google Calendar and Zapier. Connect them from Settings > Integrations.',
  },
  {
    id: 'history',
    title: 'Version history',
    content:
      'Version history keeps every change for 30 days on Plus and for one year on Team. Restore an old version from the clock icon.',
  },
  {
    id: 'ai-summaries',
    title: 'AI summaries',
    content:
      'AI summaries condense a long note into five bullet points. They are included in Plus and Team and run on the note you have open.',
  },
];

export interface ScoredDocument extends KbDocument {
  /** Cosine similarity of the document to the query. */
  score: number;
}

export const EMBEDDING_MODEL = 'text-embedding-3-small';
/** Small vectors keep the demo's spans and the query_embedding column light. */
export const EMBEDDING_DIMENSIONS = 256;

/** An in-memory vector index: every document embedded once at start, cosine top-k per query. */
export class KnowledgeBase {
  readonly #documents: readonly KbDocument[];
  readonly #vectors: readonly Float32Array[];

  constructor(documents: readonly KbDocument[], vectors: readonly Float32Array[]) {
    this.#documents = documents;
    this.#vectors = vectors;
  }

  static async build(openai: OpenAI, documents: readonly KbDocument[] = DOCUMENTS): Promise<KnowledgeBase> {
    const response = await openai.embeddings.create({
      model: EMBEDDING_MODEL,
      dimensions: EMBEDDING_DIMENSIONS,
      input: documents.map((d) => `${d.title}. ${d.content}`),
    });
    const vectors = response.data
      .sort((a, b) => a.index - b.index)
      .map((item) => Float32Array.from(item.embedding));
    return new KnowledgeBase(documents, vectors);
  }

  get size(): number {
    return this.#documents.length;
  }

  search(query: ArrayLike<number>, topK: number): ScoredDocument[] {
    const scored = this.#documents.map((doc, i) => ({
      ...doc,
      score: cosine(query, this.#vectors[i] as Float32Array),
    }));
    return scored.sort((a, b) => b.score - a.score).slice(0, topK);
  }
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
