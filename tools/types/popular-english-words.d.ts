// The package ships plain JavaScript; this is the part tools/embed/extend-vocabulary.ts reads.
declare module 'popular-english-words' {
  export const words: {
    /** The `count` most frequent words of Wikipedia, most frequent first. */
    getMostPopular(count: number): string[];
  };
}
