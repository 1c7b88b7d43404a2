/**
 * Protected playback:
 * - a Clear Key licence (token check, entitlement, keys from the isolate cache) vs GET /healthz on
 *   the same worker under `wrangler dev`, in front of a real origin;
 * - packaging one title's H.264 + AAC representations, clear (the encode) vs protected (the same
 *   encode, then CENC): time and bytes.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { kidBytes } from '../core/protection/key-wrap.ts';
import { KEY_TIERS, type KeyTier } from '../core/protection/tiers.ts';
import { importUserTokenSigner, signUserToken } from '../core/tokens.ts';
import { listen, realTestOrigin, TEST_TOKEN_SETTINGS } from '../origin/test/support/origin.ts';
import { insertProtectedFixtures } from '../origin/test/support/protected.ts';
import { freePort, startEdge } from '../scripts/edge-process.ts';
import type { TitleKey } from '../scripts/media/content-keys.ts';
import { generateTitle } from '../scripts/media/generate.ts';
import { protectTitle } from '../scripts/media/protect.ts';
import { edgeSecrets } from './support.ts';
import { compare, RATE_LIMITS_OFF, type BenchRow } from './harness.ts';

const PACKAGED = ['avc1-240p-sdr', 'avc1-480p-sdr', 'avc1-720p-sdr', 'audio-en-2.0'];
const PACKAGED_SECONDS = 20;

export default async function run(log: (line: string) => void): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const real = await realTestOrigin('bench_protection');
  const { origin, keys } = real;
  const fixtures = await insertProtectedFixtures(real.databaseUrl, keys.contentKeyKek);
  const server = await listen(origin.app);
  const persist = await mkdtemp(path.join(tmpdir(), 'edgeflix-bench-protection-'));
  const edge = await startEdge({
    port: await freePort(),
    originUrl: server.url,
    secrets: edgeSecrets(keys),
    vars: RATE_LIMITS_OFF,
    persistTo: persist,
    stdio: 'ignore',
  });
  try {
    const { token } = await signUserToken(
      { sub: randomUUID(), scope: 'profile', pid: randomUUID(), mat: 50, plan: 'standard', since: 1 },
      await importUserTokenSigner(keys.signingJwk),
      TEST_TOKEN_SETTINGS,
    );
    const url = `${edge.url}/v1/license/clearkey?title=${fixtures.pg.titleId}`;
    const init = {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ kids: KEY_TIERS.map((t) => fixtures.pg.keys[t].kidB64), type: 'temporary' }),
    };
    const warm = await fetch(url, init);
    if (warm.status !== 200) throw new Error(`licence answered ${warm.status}: ${await warm.text()}`);
    log('protection: licence route vs empty route');
    rows.push(
      await compare(
        'edge Clear Key licence (4 key ids, standard plan, keys cached in the isolate)',
        { name: 'POST /v1/license/clearkey', op: () => fetch(url, init).then((r) => r.arrayBuffer()) },
        {
          name: 'GET /healthz on the same worker',
          op: () => fetch(`${edge.url}/healthz`).then((r) => r.arrayBuffer()),
        },
        { concurrency: 16, durationMs: 5000, warmupMs: 1000 },
      ),
    );
  } finally {
    await edge.stop();
    await server.close();
    await real.stop();
    await rm(persist, { recursive: true, force: true });
  }

  log('protection: packaging clear vs protected');
  const outDir = await mkdtemp(path.join(tmpdir(), 'edgeflix-bench-cenc-'));
  try {
    const title = { id: '0340f609-c246-53f3-a25a-ed8542a3ae52', name: 'Octopus Rescue' };
    const started = Date.now();
    const { media } = await generateTitle(title, {
      outDir,
      durationSeconds: PACKAGED_SECONDS,
      representations: PACKAGED,
    });
    const clearSeconds = (Date.now() - started) / 1000;
    const titleKeys = new Map<KeyTier, TitleKey>(
      KEY_TIERS.map((tier) => {
        const kidUuid = randomUUID();
        return [tier, { tier, kidUuid, kid: kidBytes(kidUuid), key: crypto.getRandomValues(new Uint8Array(16)) }];
      }),
    );
    const protectedResult = protectTitle(outDir, media, titleKeys);
    const bytes = (files: readonly { path: string; size: number }[]) =>
      files.filter((f) => f.path.includes('/')).reduce((n, f) => n + f.size, 0);
    const clearBytes = bytes(media.files);
    const encryptedBytes = bytes(protectedResult.media.files);
    const protectedSeconds = clearSeconds + protectedResult.seconds;
    const result = (seconds: number) => ({
      opsPerSec: 1 / seconds,
      p50Ms: seconds * 1000,
      p99Ms: seconds * 1000,
      count: 1,
    });
    rows.push({
      bench: `packaging ${PACKAGED.length} representations of a ${PACKAGED_SECONDS} s title`,
      unit: 'title',
      ours: 'encode + CENC (scripts/media/cenc.ts)',
      ceiling: 'encode only (clear)',
      oursResult: result(protectedSeconds),
      ceilingResult: result(clearSeconds),
      ratio: Number((clearSeconds / protectedSeconds).toFixed(3)),
      quality: {
        clearSeconds: Number(clearSeconds.toFixed(2)),
        encryptSeconds: Number(protectedResult.seconds.toFixed(2)),
        clearBytes,
        encryptedBytes,
        bytesRatio: Number((encryptedBytes / clearBytes).toFixed(4)),
      },
    });
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
  return rows;
}
