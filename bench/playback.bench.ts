/**
 * Playback at the edge under `wrangler dev`, in front of a real origin:
 * - the manifest route with a warm source cache (token check, device filter, resume lookup, one
 *   signed token per representation, MPD) vs GET /healthz on the same worker: a first start (the
 *   buffer learned the profile has no progress on the title), a resume, and the first manifest of
 *   profiles never seen (each one's buffer learns its stored progress from the origin);
 * - a segment request (segment-token verification + R2 read) vs a static asset of the same size
 *   served without any token.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sampleSource } from '../core/manifest/fixtures.ts';
import { parseSegmentKeySet, signSegmentToken } from '../core/segment-token.ts';
import { importUserTokenSigner, signUserToken } from '../core/tokens.ts';
import { listen, realTestOrigin, TEST_TOKEN_SETTINGS } from '../origin/test/support/origin.ts';
import { insertPlaybackFixtures } from '../origin/test/support/playback.ts';
import { freePort, startEdge } from '../scripts/edge-process.ts';
import { loadMediaIntoR2 } from '../scripts/media/r2.ts';
import { edgeSecrets } from './support.ts';
import { compare, RATE_LIMITS_OFF, type BenchRow } from './harness.ts';

const STATIC_ASSET = fileURLToPath(new URL('../workers/edge/public/app.css', import.meta.url));

export default async function run(log: (line: string) => void): Promise<BenchRow[]> {
  const real = await realTestOrigin('bench_playback');
  const { origin, keys } = real;
  const fixtures = await insertPlaybackFixtures(real.databaseUrl);
  const server = await listen(origin.app);
  const persist = await mkdtemp(path.join(tmpdir(), 'edgeflix-bench-playback-'));
  // A segment object as large as the static asset it is compared with.
  const representation = sampleSource().encodings[0]!;
  const segmentKey = `${representation.storagePrefix}seg-1.m4s`;
  const segmentFile = path.join(persist, 'segment.bin');
  await writeFile(segmentFile, Buffer.alloc((await readFile(STATIC_ASSET)).length, 7));
  await loadMediaIntoR2(persist, [{ key: segmentKey, file: segmentFile, contentType: 'video/mp4' }]);
  const edge = await startEdge({
    port: await freePort(),
    originUrl: server.url,
    secrets: edgeSecrets(keys),
    vars: RATE_LIMITS_OFF,
    persistTo: persist,
    stdio: 'ignore',
  });
  const rows: BenchRow[] = [];
  try {
    const profileId = randomUUID();
    const { token } = await signUserToken(
      { sub: randomUUID(), scope: 'profile', pid: profileId, mat: 50, plan: 'premium', since: 1 },
      await importUserTokenSigner(keys.signingJwk),
      TEST_TOKEN_SETTINGS,
    );
    const manifestUrl = `${edge.url}/v1/playback/${fixtures.titleId}/manifest.mpd`;
    const headers = {
      authorization: `Bearer ${token}`,
      'x-device-capabilities': 'codecs=avc1,vp09; max-res=1920x1080',
    };
    const warm = await fetch(manifestUrl, { headers });
    if (warm.status !== 200) throw new Error(`manifest answered ${warm.status}: ${await warm.text()}`);

    const healthz = {
      name: 'GET /healthz on the same worker',
      op: () => fetch(`${edge.url}/healthz`).then((r) => r.arrayBuffer()),
    };
    // A first start: the profile has never played the title. Its buffer learned the profile's stored
    // progress once (at the warm-up request), so it knows there is none without asking the origin.
    log('playback: manifest route (warm cache, first start) vs empty route');
    rows.push(
      await compare(
        'edge manifest route, warm source cache, first start',
        {
          name: 'GET /v1/playback/{id}/manifest.mpd (no progress, known to the buffer)',
          op: () => fetch(manifestUrl, { headers }).then((r) => r.arrayBuffer()),
        },
        healthz,
        { concurrency: 16, durationMs: 5000, warmupMs: 1000 },
      ),
    );
    // A resume: the profile has played the title, so its buffer answers the position.
    const heartbeat = await fetch(`${edge.url}/v1/progress`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        titleId: fixtures.titleId,
        positionSeconds: 12,
        durationSeconds: 58,
        eventTime: Date.now(),
        deviceId: 'bench',
      }),
    });
    if (heartbeat.status !== 202) throw new Error(`heartbeat answered ${heartbeat.status}: ${await heartbeat.text()}`);
    log('playback: manifest route (warm cache, resume) vs empty route');
    rows.push(
      await compare(
        'edge manifest route, warm source cache, resume',
        {
          name: 'GET /v1/playback/{id}/manifest.mpd (position from the profile buffer)',
          op: () => fetch(manifestUrl, { headers }).then((r) => r.arrayBuffer()),
        },
        healthz,
        { concurrency: 16, durationMs: 5000, warmupMs: 1000 },
      ),
    );

    // Every request a profile never seen: its buffer is created and learns from the origin (one
    // Cassandra partition read). Tokens are minted before the clock starts.
    const signer = await importUserTokenSigner(keys.signingJwk);
    const fresh = await Promise.all(
      Array.from({ length: 3000 }, () =>
        signUserToken(
          { sub: randomUUID(), scope: 'profile', pid: randomUUID(), mat: 50, plan: 'premium', since: 1 },
          signer,
          TEST_TOKEN_SETTINGS,
        ).then((t) => t.token),
      ),
    );
    let next = 0;
    log('playback: first manifest of a new profile (its buffer learns) vs empty route');
    rows.push(
      await compare(
        'edge manifest route, warm source cache, new profile',
        {
          name: 'GET /v1/playback/{id}/manifest.mpd (a new buffer learns from the origin)',
          op: () =>
            fetch(manifestUrl, {
              headers: { ...headers, authorization: `Bearer ${fresh[next++ % fresh.length]}` },
            }).then((r) => r.arrayBuffer()),
        },
        healthz,
        { concurrency: 16, durationMs: 5000, warmupMs: 1000 },
      ),
    );
    if (next > fresh.length) log(`playback: ${next} requests for ${fresh.length} new profiles: some were not new`);

    const segmentToken = await signSegmentToken(
      {
        titleId: fixtures.titleId,
        representationId: representation.id,
        prefix: representation.storagePrefix,
        profileId,
      },
      parseSegmentKeySet(keys.segmentSigningKeys),
    );
    const segmentUrl = `${edge.url}/v1/${segmentKey}?token=${segmentToken.token}`;
    const check = await fetch(segmentUrl);
    if (check.status !== 200) throw new Error(`segment answered ${check.status}: ${await check.text()}`);
    log('playback: signed segment vs unsigned static asset');
    rows.push(
      await compare(
        'edge segment request',
        {
          name: 'GET /v1/media/... (segment token verified, R2 read)',
          op: () => fetch(segmentUrl).then((r) => r.arrayBuffer()),
        },
        {
          name: 'GET /app.css (static asset, no token)',
          op: () => fetch(`${edge.url}/app.css`).then((r) => r.arrayBuffer()),
        },
        { concurrency: 16, durationMs: 5000, warmupMs: 1000 },
      ),
    );
  } finally {
    await edge.stop();
    await rm(persist, { recursive: true, force: true });
    await server.close();
    await real.stop();
  }
  return rows;
}
