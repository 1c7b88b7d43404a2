/**
 * The cost of a stream lease on a stream start, under `wrangler dev` in front of a real origin:
 * the DASH manifest route (warm source cache) with its lease taken or kept in the account's
 * StreamLeases object vs the same route with stream limits off (`STREAM_LIMITS={"enabled":false}`),
 * on two edges from the same build, measured one after the other. Every request is a start from
 * the same device, so each one is the one RPC a real start makes (the lease is kept and renewed).
 * Then a heartbeat with its lease renewal vs with limits off, the same way.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { importUserTokenSigner, signUserToken } from '../core/tokens.ts';
import { listen, realTestOrigin, TEST_TOKEN_SETTINGS } from '../origin/test/support/origin.ts';
import { insertPlaybackFixtures } from '../origin/test/support/playback.ts';
import { freePort, startEdge } from '../scripts/edge-process.ts';
import { edgeSecrets } from './support.ts';
import { compare, RATE_LIMITS_OFF, type BenchRow } from './harness.ts';

export default async function run(log: (line: string) => void): Promise<BenchRow[]> {
  const real = await realTestOrigin('bench_streams');
  const { origin, keys } = real;
  const fixtures = await insertPlaybackFixtures(real.databaseUrl);
  const server = await listen(origin.app);
  const persists: string[] = [];
  const edgeWith = async (vars: Record<string, string>) => {
    const persist = await mkdtemp(path.join(tmpdir(), 'edgeflix-bench-streams-'));
    persists.push(persist);
    return startEdge({
      port: await freePort(),
      originUrl: server.url,
      secrets: edgeSecrets(keys),
      vars: { ...RATE_LIMITS_OFF, ...vars },
      persistTo: persist,
      stdio: 'ignore',
    });
  };
  const leased = await edgeWith({});
  const unleased = await edgeWith({ STREAM_LIMITS: JSON.stringify({ enabled: false }) });
  const rows: BenchRow[] = [];
  try {
    const { token } = await signUserToken(
      { sub: randomUUID(), scope: 'profile', pid: randomUUID(), mat: 50, plan: 'premium', since: 1, sid: randomUUID() },
      await importUserTokenSigner(keys.signingJwk),
      TEST_TOKEN_SETTINGS,
    );
    const headers = {
      authorization: `Bearer ${token}`,
      'x-device-capabilities': 'codecs=avc1,vp09; max-res=1920x1080',
    };
    const manifest = (base: string) => () =>
      fetch(`${base}/v1/playback/${fixtures.titleId}/manifest.mpd`, { headers }).then(async (r) => {
        if (r.status !== 200) throw new Error(`manifest answered ${r.status}: ${await r.text()}`);
        return r.arrayBuffer();
      });
    const heartbeat = (base: string) => () =>
      fetch(`${base}/v1/progress`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({
          titleId: fixtures.titleId,
          positionSeconds: 12,
          durationSeconds: 58,
          eventTime: Date.now(),
          deviceId: 'bench',
        }),
      }).then(async (r) => {
        if (r.status !== 202) throw new Error(`heartbeat answered ${r.status}: ${await r.text()}`);
        return r.arrayBuffer();
      });
    // Warm both: source caches, and the lease the leased edge keeps from here on.
    for (const base of [leased.url, unleased.url]) {
      await manifest(base)();
      await heartbeat(base)();
    }
    // On a shared machine the load moves between runs: three rounds, each measuring both sides
    // back to back, and the round with the median ratio is reported.
    const options = { concurrency: 16, durationMs: 3000, warmupMs: 500 };
    const median = async (run: () => Promise<BenchRow>): Promise<BenchRow> => {
      const rounds: BenchRow[] = [];
      for (let i = 0; i < 3; i++) rounds.push(await run());
      log(`  ratios: ${rounds.map((r) => r.ratio).join(', ')}`);
      return rounds.sort((a, b) => a.ratio - b.ratio)[1]!;
    };
    log('streams: manifest with a lease vs without');
    rows.push(
      await median(() =>
        compare(
          'edge manifest with a stream lease',
          { name: 'GET manifest.mpd, lease kept in StreamLeases (one RPC)', op: manifest(leased.url) },
          { name: 'GET manifest.mpd, stream limits off', op: manifest(unleased.url) },
          options,
        ),
      ),
    );
    log('streams: heartbeat with its lease renewal vs without');
    rows.push(
      await median(() =>
        compare(
          'edge heartbeat with a lease renewal',
          { name: 'POST /v1/progress, lease renewed (one RPC beside the title check)', op: heartbeat(leased.url) },
          { name: 'POST /v1/progress, stream limits off', op: heartbeat(unleased.url) },
          options,
        ),
      ),
    );
  } finally {
    await leased.stop();
    await unleased.stop();
    for (const persist of persists) await rm(persist, { recursive: true, force: true });
    await server.close();
    await real.stop();
  }
  return rows;
}
