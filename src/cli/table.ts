/**
 * formatTable renders rows of cells as aligned columns for people (two spaces between columns,
 * the last column not padded), one line per row. It never throws.
 */

/** formatTable aligns `rows` (the first is the header) into columns. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return `${rows
    .map((r) => r.map((cell, i) => (i < r.length - 1 ? cell.padEnd(widths[i] ?? 0) : cell)).join('  '))
    .join('\n')}\n`;
}
