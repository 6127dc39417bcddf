/**
 * Plain aligned tables on stdout: no table library is installed, and a bench
 * log must read the same in a terminal, a CI log and a pasted report.
 */
export type Cell = string | number;

function formatCell(value: Cell): string {
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  const abs = Math.abs(value);
  const decimals = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** First column left-aligned (labels), the others right-aligned (figures). */
export function formatTable(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = [header, ...rows.map((r) => r.map(formatCell))];
  const widths = header.map((_, c) => Math.max(...text.map((r) => (r[c] ?? '').length)));
  const line = (r: readonly string[]) =>
    r
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(text[0] as string[]), rule, ...text.slice(1).map(line)].join('\n');
}

export function printTable(
  title: string,
  header: readonly string[],
  rows: readonly (readonly Cell[])[],
): void {
  console.log(`\n${title}\n${formatTable(header, rows)}`);
}

/** A module's flat `{ figure: value }` result as a two-column table. */
export function printFigures(title: string, figures: Record<string, number>): void {
  printTable(
    title,
    ['figure', 'value'],
    Object.entries(figures).map(([k, v]) => [k, v]),
  );
}

export function note(text: string): void {
  console.log(`  ${text}`);
}
