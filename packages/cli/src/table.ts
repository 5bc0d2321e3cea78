/** Left-aligned columns separated by at least two spaces, header first (the layout of Kafka's tools). */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] + 2))).join('') + '\n';
  return [header, ...rows].map(line).join('');
}
