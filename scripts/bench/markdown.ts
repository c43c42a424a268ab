export type Cell = string | number;

export interface Table {
  title: string;
  /** Shown under the title: what was measured and how. */
  note?: string;
  headers: string[];
  rows: Cell[][];
}

const escape = (cell: Cell) => String(cell).replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderTable(table: Table): string {
  const lines = [`### ${table.title}`, ''];
  if (table.note) {
    lines.push(table.note, '');
  }
  lines.push(`| ${table.headers.map(escape).join(' | ')} |`);
  lines.push(`|${table.headers.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`);
  for (const row of table.rows) {
    lines.push(`| ${row.map(escape).join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}

export const ms = (value: number) => (Number.isFinite(value) ? `${Math.round(value)} ms` : 'n/a');
export const sec = (valueMs: number) => (Number.isFinite(valueMs) ? `${(valueMs / 1000).toFixed(2)} s` : 'n/a');
export const mb = (bytes: number) => (Number.isFinite(bytes) ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : 'n/a');
export const fixed = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
export const pct = (ratio: number, digits = 0) =>
  Number.isFinite(ratio) ? `${(ratio * 100).toFixed(digits)}%` : 'n/a';
export const int = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a');

export function calls(byAction: Record<string, number>): string {
  const entries = Object.entries(byAction).sort(([a], [b]) => (a < b ? -1 : 1));
  return entries.length ? entries.map(([action, n]) => `${action} ${int(n)}`).join(', ') : 'none';
}
