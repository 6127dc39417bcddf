/** The pieces of docs/schema.md the doc test checks: its SQL blocks and its per-table sections. */

export interface SqlBlock {
  /** Text of the nearest heading above the block (`1. Token spend and cost per model per day`). */
  heading: string;
  sql: string;
  /** 1-based line of the opening fence, for failure messages. */
  line: number;
}

const HEADING = /^(#{1,6})\s+(.*)$/;

/** Every ```sql fenced block, with the heading it sits under. */
export function sqlBlocks(markdown: string): SqlBlock[] {
  const blocks: SqlBlock[] = [];
  const lines = markdown.split('\n');
  let heading = '';
  let open: { line: number; body: string[] } | null = null;
  let otherFence = false;
  lines.forEach((text, index) => {
    if (open) {
      if (text.trim() === '```') {
        blocks.push({ heading, sql: open.body.join('\n').trim(), line: open.line });
        open = null;
      } else open.body.push(text);
      return;
    }
    if (text.startsWith('```')) {
      if (otherFence) otherFence = false;
      else if (text.trim() === '```sql') open = { line: index + 1, body: [] };
      else otherFence = true;
      return;
    }
    if (otherFence) return;
    const match = HEADING.exec(text);
    if (match) heading = (match[2] as string).trim();
  });
  if (open) throw new Error(`unclosed \`\`\`sql block at line ${(open as { line: number }).line}`);
  return blocks;
}

/**
 * The text under `### \`name\`` headings (up to the next heading of level 3 or
 * less), keyed by the name: one section per table.
 */
export function tableSections(markdown: string): Map<string, string> {
  const sections = new Map<string, string>();
  let current: string | null = null;
  let body: string[] = [];
  const flush = () => {
    if (current !== null) sections.set(current, body.join('\n'));
  };
  for (const text of markdown.split('\n')) {
    const match = HEADING.exec(text);
    if (match && (match[1] as string).length <= 3) {
      flush();
      const name = /^`([A-Za-z_][A-Za-z0-9_]*)`$/.exec((match[2] as string).trim());
      current = name ? (name[1] as string) : null;
      body = [];
    } else if (current !== null) body.push(text);
  }
  flush();
  return sections;
}

/** `{name:Type}` query parameters a block uses. */
export function parameterNames(sql: string): string[] {
  return [...new Set([...sql.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*):[^}]+\}/g)].map((m) => m[1] as string))];
}
