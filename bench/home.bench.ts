/**
 * GET /v1/home at the edge under `wrangler dev` (experiment config cached, title data warm), in
 * front of a real origin on the real stack, vs GET /healthz on the same worker. The origin runs
 * as in production: without the test suites' OpenAPI conformance check on every response.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApp } from '../origin/src/app.ts';
import { listen, realTestOrigin } from '../origin/test/support/origin.ts';
import { freePort, startEdge } from '../scripts/edge-process.ts';
import { edgeSecrets, profileTokens } from './support.ts';
import { compare, RATE_LIMITS_OFF, type BenchRow } from './harness.ts';

const PROFILES = 50;

export default async function run(log: (line: string) => void): Promise<BenchRow[]> {
  const real = await realTestOrigin('bench_home');
  const { origin, keys } = real;
  const server = await listen(createApp(origin.deps));
  const persist = await mkdtemp(path.join(tmpdir(), 'edgeflix-bench-home-'));
  const edge = await startEdge({
    port: await freePort(),
    originUrl: server.url,
    secrets: edgeSecrets(keys),
    vars: RATE_LIMITS_OFF,
    persistTo: persist,
    stdio: 'ignore',
  });
  try {
    const tokens = (await profileTokens(keys, PROFILES)).map((t) => t.token);
    const home = (token: string) =>
      fetch(`${edge.url}/v1/home`, { headers: { authorization: `Bearer ${token}` } }).then(async (res) => {
        if (res.status !== 200) throw new Error(`home answered ${res.status}`);
        const page = (await res.json()) as { fallback: string | null };
        if (page.fallback !== null) throw new Error(`home fell back to ${page.fallback}: the origin is too slow`);
      });
    for (const token of tokens) await home(token);
    log('home: GET /v1/home vs empty route');
    let n = 0;
    return [
      await compare(
        'edge GET /v1/home, warm caches',
        {
          name: 'GET /v1/home (assignments at the edge, buffer read, origin rows)',
          op: () => home(tokens[n++ % PROFILES]!),
        },
        {
          name: 'GET /healthz on the same worker',
          op: () => fetch(`${edge.url}/healthz`).then((r) => r.arrayBuffer()),
        },
        { concurrency: 8, durationMs: 5000, warmupMs: 1000 },
      ),
    ];
  } finally {
    await edge.stop();
    await rm(persist, { recursive: true, force: true });
    await server.close();
    await real.stop();
  }
}
