/**
 * The error-level lines of a run's logs (the origin's, and the edge's under wrangler dev), counted
 * by service, event and error text: a chaos run that answered a 500 says why in its own report,
 * even when it passed and its folder is gone.
 */
import { readFile } from 'node:fs/promises';

/** Longest error text kept per line; stacks and long messages are cut. */
const TEXT_CHARS = 160;

/** `service event: error` → count, for every JSON log line at level error in `text`. */
export function countErrors(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of text.split('\n')) {
    const start = line.indexOf('{');
    if (start < 0) continue;
    let entry: unknown;
    try {
      entry = JSON.parse(line.slice(start));
    } catch {
      continue;
    }
    if (typeof entry !== 'object' || entry === null) continue;
    const { level, service, event, metadata } = entry as Record<string, unknown>;
    if (level !== 'error') continue;
    const error = (metadata as { error?: unknown } | undefined)?.error;
    const detail = typeof error === 'string' ? error : error === undefined ? '' : JSON.stringify(error);
    const key = `${String(service)} ${String(event)}${detail ? `: ${detail.replace(/\s+/g, ' ').slice(0, TEXT_CHARS)}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** The report's lines for the logs' errors: a count, then the most frequent kinds. */
export async function errorReport(files: string[], top = 5): Promise<{ total: number; lines: string[] }> {
  const counts = new Map<string, number>();
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const [key, n] of countErrors(text)) counts.set(key, (counts.get(key) ?? 0) + n);
  }
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return { total, lines: ['errors logged: none'] };
  const sorted = [...counts].sort((a, b) => b[1] - a[1]);
  return {
    total,
    lines: [
      `errors logged: ${total}`,
      ...sorted.slice(0, top).map(([key, n]) => `  ${n} × ${key}`),
      ...(sorted.length > top ? [`  … and ${sorted.length - top} other kinds`] : []),
    ],
  };
}
