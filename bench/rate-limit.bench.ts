/**
 * The rate limiter's cost at the edge under `wrangler dev` (workerd), in front of a real origin:
 * the same routes on two edges, one with a limit too generous to refuse anything (so every request
 * pays a full check in a sharded RateLimiter Durable Object) and one with the limiter off.
 * - GET /v1/titles: a real catalog route (token check, limit check, origin call);
 * - GET /v1/limited-probe: a signed-in request to an unknown path, answered 404 right after the
 *   limit check: the limiter's cost against the cheapest request that pays for it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { listen, realTestOrigin } from '../origin/test/support/origin.ts';
import { freePort, startEdge } from '../scripts/edge-process.ts';
import { edgeSecrets, profileTokens } from './support.ts';
import { compare, RATE_LIMITS_OFF, type BenchRow } from './harness.ts';

const ACCOUNTS = 200;
const GENEROUS = {
  RATE_LIMITS: JSON.stringify({ tiers: { browse: { limit: 10_000_000, windowSeconds: 60 } } }),
};

export default async function run(log: (line: string) => void): Promise<BenchRow[]> {
  const real = await realTestOrigin('bench_rate_limit');
  const { origin, keys } = real;
  const server = await listen(origin.app);
  const persist = await mkdtemp(path.join(tmpdir(), 'edgeflix-bench-rl-'));
  const edgeWith = async (vars: Record<string, string>, dir: string) =>
    startEdge({
      port: await freePort(),
      originUrl: server.url,
      secrets: edgeSecrets(keys),
      vars,
      persistTo: path.join(persist, dir),
      stdio: 'ignore',
    });
  const limited = await edgeWith(GENEROUS, 'limited');
  const unlimited = await edgeWith(RATE_LIMITS_OFF, 'unlimited');
  try {
    const tokens = (await profileTokens(keys, ACCOUNTS)).map((t) => t.token);
    const get = (base: string, route: string, status: number, limitHeader: boolean) => {
      let n = 0;
      return () =>
        fetch(`${base}${route}`, { headers: { authorization: `Bearer ${tokens[n++ % ACCOUNTS]!}` } }).then(
          async (res) => {
            await res.arrayBuffer();
            if (res.status !== status) throw new Error(`${route} answered ${res.status}`);
            if (res.headers.has('x-ratelimit-limit') !== limitHeader)
              throw new Error(`${route}: limiter state unexpected`);
          },
        );
    };
    const rows: BenchRow[] = [];
    for (const [route, status, what] of [
      ['/v1/titles?limit=1', 200, 'catalog page (token, limit, origin call)'],
      ['/v1/limited-probe', 404, 'cheapest signed-in request (token, limit, 404)'],
    ] as const) {
      log(`rate-limit: GET ${route} limited vs unlimited`);
      rows.push(
        await compare(
          `edge rate limit cost: GET ${route}`,
          { name: `GET ${route}, limited: ${what}`, op: get(limited.url, route, status, true) },
          { name: `GET ${route}, limiter off`, op: get(unlimited.url, route, status, false) },
          { concurrency: 16, durationMs: 5000, warmupMs: 1000 },
        ),
      );
    }
    return rows;
  } finally {
    await limited.stop();
    await unlimited.stop();
    await rm(persist, { recursive: true, force: true });
    await server.close();
    await real.stop();
  }
}
