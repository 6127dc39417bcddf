import type { DocumentInterface } from '@langchain/core/documents';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { VectorStore } from '@langchain/core/vectorstores';

/**
 * A minimal in-memory LangChain vector store (cosine over the embeddings), so
 * the example needs no database; swap in Pinecone, pgvector or Chroma and the
 * retrieval spans look the same.
 */
export class InMemoryStore extends VectorStore {
  readonly #rows: { vector: number[]; doc: DocumentInterface }[] = [];

  constructor(embeddings: EmbeddingsInterface) {
    super(embeddings, {});
  }

  _vectorstoreType(): string {
    return 'in-memory';
  }

  async addVectors(vectors: number[][], documents: DocumentInterface[]): Promise<void> {
    vectors.forEach((vector, i) => {
      const doc = documents[i];
      if (doc) this.#rows.push({ vector, doc });
    });
  }

  async addDocuments(documents: DocumentInterface[]): Promise<void> {
    await this.addVectors(
      await this.embeddings.embedDocuments(documents.map((d) => d.pageContent)),
      documents,
    );
  }

  async similaritySearchVectorWithScore(query: number[], k: number): Promise<[DocumentInterface, number][]> {
    const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
    const cosine = (a: number[], b: number[]) =>
      a.reduce((sum, x, i) => sum + x * (b[i] ?? 0), 0) / (norm(a) * norm(b));
    return this.#rows
      .map((row): [DocumentInterface, number] => [row.doc, cosine(query, row.vector)])
      .sort((a, b) => b[1] - a[1])
      .slice(0, k);
  }
}
