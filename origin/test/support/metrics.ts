/** Scraping an origin's `/metrics` in tests. */
import type { TestOrigin } from './origin.ts';

export async function scrape(origin: TestOrigin, operatorKey: string): Promise<string> {
  const res = await origin.app.request('/metrics', { headers: { authorization: `Bearer ${operatorKey}` } });
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return res.text();
}

/** The value of one series (every given label must match), or undefined when it is absent. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    const match = /^([^{\s]+)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = new Map([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(match[3]);
  }
  return undefined;
}

/** Calls per `service:store.method` so far, from the origin's `store_call_duration_seconds` histogram. */
export async function storeCalls(origin: TestOrigin, operatorKey: string): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const m of (await scrape(origin, operatorKey)).matchAll(
    /^store_call_duration_seconds_count\{([^}]*)\}\s+(\S+)$/gm,
  )) {
    const label = (k: string) => new RegExp(`${k}="([^"]*)"`).exec(m[1]!)?.[1];
    calls.set(`${label('service')}:${label('store')}.${label('method')}`, Number(m[2]));
  }
  return calls;
}
