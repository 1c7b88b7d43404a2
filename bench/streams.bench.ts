/**
 * The cost of a stream lease on a stream start, under `wrangler dev` in front of a real origin:
 * the DASH manifest route (warm source cache) with its lease kept in the account's StreamLeases
 * object vs the same route with stream limits off (`STREAM_LIMITS={"enabled":false}`), on two
 * edges from the same build, measured back to back. Requests rotate over 32 viewers of their own
 * accounts, each already holding its lease, so each start is the one RPC a real start makes.
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

const VIEWERS = 32;

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
    // Viewers of their own accounts, as real starts are spread.
    const signer = await importUserTokenSigner(keys.signingJwk);
    const viewers = await Promise.all(
      Array.from({ length: VIEWERS }, async () => {
        const { token } = await signUserToken(
          {
            sub: randomUUID(),
            scope: 'profile',
            pid: randomUUID(),
            mat: 50,
            plan: 'premium',
            since: 1,
            sid: randomUUID(),
          },
          signer,
          TEST_TOKEN_SETTINGS,
        );
        return { authorization: `Bearer ${token}`, 'x-device-capabilities': 'codecs=avc1,vp09; max-res=1920x1080' };
      }),
    );
    let n = 0;
    const next = () => viewers[n++ % VIEWERS]!;
    const manifest =
      (base: string, headers = next) =>
      () =>
        fetch(`${base}/v1/playback/${fixtures.titleId}/manifest.mpd`, { headers: headers() }).then(async (r) => {
          if (r.status !== 200) throw new Error(`manifest answered ${r.status}: ${await r.text()}`);
          return r.arrayBuffer();
        });
    // Warm both: source caches, and the lease the leased edge keeps from here on.
    for (const base of [leased.url, unleased.url]) {
      for (const viewer of viewers) {
        await manifest(base, () => viewer)();
      }
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
  } finally {
    await leased.stop();
    await unleased.stop();
    for (const persist of persists) await rm(persist, { recursive: true, force: true });
    await server.close();
    await real.stop();
  }
  return rows;
}
