/** What every benchmark section is: options in, flat figures out (it prints its own tables). */
export interface SectionOptions {
  /** Shorter runs for a smoke check; figures are rougher. */
  quick: boolean;
}

export type Figures = Record<string, number>;

export interface Section {
  name: string;
  description: string;
  run(options: SectionOptions): Promise<Figures>;
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
