/**
 * The edge under `wrangler dev` (workerd), as `npm start` runs it, in front of a real origin:
 * - heartbeat ingest: POST /v1/progress (token check, validation, cached title lookup, Durable
 *   Object storage write) vs GET /healthz on the same worker (the empty-route ceiling);
 * - write reduction: viewers heartbeating at the real 1:30 ratio of heartbeat period (10 s) to flush
 *   interval (300 s, the default), time-scaled; heartbeats in per Cassandra row written.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { importUserTokenSigner, signUserToken } from '../core/tokens.ts';
import { listen, realTestOrigin, TEST_TOKEN_SETTINGS } from '../origin/test/support/origin.ts';
import { freePort, startEdge } from '../scripts/edge-process.ts';
import { edgeSecrets } from './support.ts';
import { compare, RATE_LIMITS_OFF, type BenchRow } from './harness.ts';

const PROFILES = 200;
/** Time-scaled: a heartbeat every 10 s and a flush every 300 s become 250 ms and 7.5 s. */
const HEARTBEAT_MS = 250;
const FLUSH_MS = 7500;
const WATCH_MS = 45_000;

export default async function run(log: (line: string) => void): Promise<BenchRow[]> {
  const real = await realTestOrigin('bench_edge');
  const { origin, keys } = real;
  const pg = postgres(real.databaseUrl, { max: 1, onnotice: () => {} });
  const titles = (await pg<{ id: string }[]>`SELECT id FROM titles WHERE type <> 'series' ORDER BY id LIMIT 20`).map(
    (r) => r.id,
  );
  await pg.end();

  // Count what reaches Cassandra: rows written by flushes.
  let rowsWritten = 0;
  const upsertEach = origin.deps.stores.progress.upsertEach.bind(origin.deps.stores.progress);
  origin.deps.stores.progress.upsertEach = async (groups) => {
    const outcomes = await upsertEach(groups);
    groups.forEach((g, i) => (rowsWritten += outcomes[i]!.status === 'fulfilled' ? g.length : 0));
    return outcomes;
  };
  const server = await listen(origin.app);
  const persist = await mkdtemp(path.join(tmpdir(), 'edgeflix-bench-'));
  const startEdgeWith = async (flushMs: number) =>
    startEdge({
      port: await freePort(),
      originUrl: server.url,
      secrets: edgeSecrets(keys),
      vars: { ...RATE_LIMITS_OFF, PROGRESS_FLUSH_INTERVAL_MS: String(flushMs) },
      persistTo: persist,
      stdio: 'ignore',
    });
  // Ingest is measured with a 60 s flush so flushes do not share the run; the write
  // reduction run uses the time-scaled interval.
  let edge = await startEdgeWith(60_000);
  const rows: BenchRow[] = [];
  try {
    const signer = await importUserTokenSigner(keys.signingJwk);
    const profiles = await Promise.all(
      Array.from({ length: PROFILES }, async () => {
        const pid = randomUUID();
        const { token } = await signUserToken(
          { sub: randomUUID(), scope: 'profile', pid, mat: 50, plan: 'premium', since: 1 },
          signer,
          TEST_TOKEN_SETTINGS,
        );
        return { pid, token, titleId: titles[Math.floor(Math.random() * titles.length)]! };
      }),
    );
    const heartbeat = (p: (typeof profiles)[number], position: number) =>
      fetch(`${edge.url}/v1/progress`, {
        method: 'POST',
        headers: { authorization: `Bearer ${p.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          titleId: p.titleId,
          positionSeconds: position,
          durationSeconds: 6000,
          eventTime: Date.now(),
          deviceId: 'bench-tv',
        }),
      }).then(async (res) => {
        if (res.status !== 202) throw new Error(`heartbeat answered ${res.status}: ${await res.text()}`);
      });

    log('edge: heartbeat ingest vs empty route (wrangler dev)');
    let n = 0;
    rows.push(
      await compare(
        'edge heartbeat ingest into Durable Objects',
        {
          name: 'POST /v1/progress (verify token, validate, title lookup, DO storage write)',
          op: () => heartbeat(profiles[n++ % PROFILES]!, n % 6000),
        },
        {
          name: 'GET /healthz on the same worker',
          op: () => fetch(`${edge.url}/healthz`).then((r) => r.arrayBuffer()),
        },
        { concurrency: 32, durationMs: 5000, warmupMs: 1000 },
      ),
    );

    log('edge: write reduction at 1 heartbeat per 10 s per viewer, 300 s flushes (time-scaled)');
    await edge.stop();
    edge = await startEdgeWith(FLUSH_MS);
    await new Promise((r) => setTimeout(r, FLUSH_MS * 3));
    rowsWritten = 0;
    let sent = 0;
    const watchers = profiles.slice(0, 100);
    const start = Date.now();
    await Promise.all(
      watchers.map(async (p, i) => {
        await new Promise((r) => setTimeout(r, (i * HEARTBEAT_MS) / watchers.length));
        let position = 0;
        while (Date.now() - start < WATCH_MS) {
          const t = Date.now();
          await heartbeat(p, (position += 10));
          sent += 1;
          await new Promise((r) => setTimeout(r, Math.max(0, HEARTBEAT_MS - (Date.now() - t))));
        }
      }),
    );
    await new Promise((r) => setTimeout(r, FLUSH_MS * 3));
    const reduction = sent / Math.max(1, rowsWritten);
    log(`edge: ${sent} heartbeats → ${rowsWritten} Cassandra rows: ${reduction.toFixed(1)} heartbeats per row`);
    rows.push({
      bench: 'write reduction (1 heartbeat/10 s, 300 s flush; time-scaled)',
      unit: 'heartbeat',
      ours: `${sent} heartbeats through the buffer`,
      ceiling: `${rowsWritten} rows written (naive design: one write per heartbeat)`,
      oursResult: { opsPerSec: sent, p50Ms: 0, p99Ms: 0, count: sent },
      ceilingResult: { opsPerSec: rowsWritten, p50Ms: 0, p99Ms: 0, count: rowsWritten },
      ratio: Number(reduction.toFixed(2)),
    });
  } finally {
    await edge.stop();
    await rm(persist, { recursive: true, force: true });
    await server.close();
    await real.stop();
  }
  return rows;
}
