/**
 * The setup every browser test shares: a real origin on the real stack, one title with generated
 * media in a fresh local R2 bucket, the edge under `wrangler dev` (as `npm start` runs it), and
 * Debian's chromium. What differs between the tests is an option: the title and its media, CENC
 * protection, the origin's configuration (token lifetimes), the edge's vars (rate limits).
 *
 * Media is made once, not per file: the encode is cached per representation (scripts/media), and
 * the R2 bucket loaded with a title's files is kept under `.edgeflix/e2e-r2/<content hash>` and
 * copied into each edge's own persist folder (the edge writes artwork there, so it must be a copy).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { chromium, type Browser } from 'playwright-core';
import { importKek } from '../core/protection/key-wrap.ts';
import { listen, realStackOrigin, type RealStackOrigin } from '../origin/test/support/origin.ts';
import { freePort, startEdge, type EdgeProcess } from '../scripts/edge-process.ts';
import { pickDemoTitles, replaceTitleMedia } from '../scripts/media/catalog.ts';
import { titleContentKeys } from '../scripts/media/content-keys.ts';
import { generateTitle, type GeneratedTitle } from '../scripts/media/generate.ts';
import { objectKey } from '../scripts/media/ladder.ts';
import { protectTitle, tiersOf } from '../scripts/media/protect.ts';
import { loadMediaIntoR2, r2PersistPath, type MediaObject } from '../scripts/media/r2.ts';
import { CHROMIUM, CHROMIUM_FLAGS } from '../scripts/media/smoke-play.ts';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The clear encodes every browser test shares (one folder per title, cached per representation). */
export const MEDIA_CACHE = path.join(ROOT, '.edgeflix/media');
/** Local R2 buckets already loaded with a title's media, one folder per content hash. */
const R2_CACHE = path.join(ROOT, '.edgeflix/e2e-r2');

/** The demo account (premium, profiles Alex, Sam, …) and the basic-plan one, as seeded. */
export const DEMO = { email: 'demo@edgeflix.test', password: 'edgeflix-demo' };
export const BASIC = { email: 'basic@edgeflix.test', password: 'edgeflix-basic' };

export interface MediaSpec {
  durationSeconds: number;
  /** Representation folders to make (default: all, see scripts/media/ladder.ts). */
  representations?: readonly string[];
  /** Folder of the clear encode (default MEDIA_CACHE); another one when a different length of the same title is wanted. */
  cacheDir?: string;
  /** CENC-encrypted as the media script packages it, with keys made in this origin's database. */
  protect?: boolean;
}

export interface MediaEdgeOptions {
  log: (line: string) => void;
  /** Label of the throwaway database and keyspace (default `e2e`). */
  label?: string;
  /** The title that gets media (default: the first demo title, scripts/media/catalog.ts). */
  pickTitle?: (sql: postgres.Sql) => Promise<{ id: string; name: string }>;
  media: MediaSpec;
  /** Origin environment variables (e.g. `ACCOUNT_TOKEN_TTL_SECONDS`). */
  originConfig?: Record<string, string>;
  /** Edge vars (e.g. `RATE_LIMITS`). */
  edgeVars?: Record<string, string>;
}

export interface MediaEdge {
  edge: EdgeProcess;
  browser: Browser;
  titleId: string;
  /** Stops everything this started, last started first. */
  stop(): Promise<void>;
}

export async function startMediaEdge(options: MediaEdgeOptions): Promise<MediaEdge> {
  const { log } = options;
  const cleanup: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const step of cleanup) await step().catch((err: unknown) => log(`cleanup: ${String(err)}`));
  };
  const timed = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    const value = await run();
    log(`setup: ${what} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return value;
  };
  try {
    const real = await timed('origin', () =>
      realStackOrigin(options.label ?? 'e2e', options.originConfig ? { config: options.originConfig } : {}),
    );
    cleanup.unshift(() => real.stop());
    const server = await listen(real.origin.app);
    cleanup.unshift(() => server.close());
    const persist = await mkdtemp(path.join(tmpdir(), `edgeflix-${options.label ?? 'e2e'}-`));
    cleanup.push(() => rm(persist, { recursive: true, force: true }));
    const titleId = await timed('media', () => prepareMedia(real, persist, options));
    const edge = await timed('edge', async () =>
      startEdge({
        port: await freePort(),
        originUrl: server.url,
        secrets: {
          AUTH_PUBLIC_JWKS: JSON.stringify(real.keys.publicJwks),
          SERVICE_TOKEN_SECRET: real.keys.serviceSecret,
          SEGMENT_SIGNING_KEYS: real.keys.segmentSigningKeys,
        },
        ...(options.edgeVars ? { vars: options.edgeVars } : {}),
        persistTo: persist,
        stdio: 'ignore',
      }),
    );
    cleanup.unshift(() => edge.stop());
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
    cleanup.unshift(() => browser.close());
    return { edge, browser, titleId, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Makes (or finds cached) the title's media, loads it into the bucket under `persist`, describes it in the catalog. */
async function prepareMedia(real: RealStackOrigin, persist: string, options: MediaEdgeOptions): Promise<string> {
  const { media: spec, log } = options;
  const cacheDir = spec.cacheDir ?? MEDIA_CACHE;
  const sql = postgres(real.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const title = options.pickTitle ? await options.pickTitle(sql) : (await pickDemoTitles(sql, 1))[0]!;
    const { media, cached } = await generateTitle(title, {
      outDir: cacheDir,
      durationSeconds: spec.durationSeconds,
      ...(spec.representations ? { representations: spec.representations } : {}),
      onProgress: (rep, _fraction, done) => done && log(`media: ${rep} encoded`),
    });
    log(`media for ${title.name}: ${cached ? 'cached' : `generated in ${media.generationSeconds.toFixed(1)} s`}`);
    let described: GeneratedTitle = media;
    let dir = path.join(cacheDir, media.titleId);
    if (spec.protect) {
      // Packaged as the media script does: keys made here, wrapped under the origin's KEK.
      const keys = await titleContentKeys(sql, title.id, tiersOf(media), await importKek(real.keys.contentKeyKek));
      // Fresh keys each run (a fresh database), so the encrypted files are made again; the clear encode is cached.
      const packaged = protectTitle(cacheDir, media, keys);
      log(`packaged ${packaged.encrypted.length} representations with ${keys.size} keys in ${packaged.seconds} s`);
      described = packaged.media;
      dir = packaged.dir;
    }
    const objects = described.files.map((f) => ({
      key: objectKey(title.id, f.path),
      file: path.join(dir, f.path),
      contentType: f.contentType,
    }));
    // Encrypted files differ every run: loaded as they are. Clear ones come from the shared bucket.
    if (spec.protect) await loadMediaIntoR2(persist, objects);
    else await copySharedBucket(title.id, objects, persist, log);
    await replaceTitleMedia(sql, [described]);
    return title.id;
  } finally {
    await sql.end();
  }
}

/** Fills `persist`'s R2 bucket with `objects` from a bucket loaded once per content hash. */
async function copySharedBucket(
  titleId: string,
  objects: readonly MediaObject[],
  persist: string,
  log: (line: string) => void,
): Promise<void> {
  const hash = createHash('sha256');
  for (const o of objects) hash.update(`${o.key}\0${o.contentType}\0`).update(await readFile(o.file));
  const name = `${titleId}-${hash.digest('hex').slice(0, 16)}`;
  const shared = path.join(R2_CACHE, name);
  if (!existsSync(shared)) {
    await mkdir(R2_CACHE, { recursive: true });
    // Older buckets of this title hold media no test asks for any more.
    for (const old of await readdir(R2_CACHE)) {
      if (old.startsWith(`${titleId}-`)) await rm(path.join(R2_CACHE, old), { recursive: true, force: true });
    }
    const partial = `${shared}.partial`;
    await rm(partial, { recursive: true, force: true });
    const loaded = await loadMediaIntoR2(partial, objects);
    await rename(partial, shared);
    log(`media: ${loaded.writtenKeys.length} objects loaded into the shared bucket ${name}`);
  }
  await cp(r2PersistPath(shared), r2PersistPath(persist), { recursive: true });
}

/** A profile token through the edge's own API: `account` signs in (with `login`'s extra fields), picks `profile` (default: its first). */
export async function profileToken(
  edgeUrl: string,
  account: { email: string; password: string },
  profile?: string,
  login: Record<string, string> = {},
): Promise<string> {
  const post = (p: string, body: unknown, token?: string) =>
    fetch(`${edgeUrl}${p}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const { token } = (await (await post('/v1/auth/login', { ...account, ...login })).json()) as { token: string };
  const { profiles } = (await (
    await fetch(`${edgeUrl}/v1/profiles`, { headers: { authorization: `Bearer ${token}` } })
  ).json()) as { profiles: { id: string; name: string }[] };
  const picked = profile === undefined ? profiles[0]! : profiles.find((p) => p.name === profile)!;
  const selected = (await (await post(`/v1/profiles/${picked.id}/select`, undefined, token)).json()) as {
    token: string;
  };
  return selected.token;
}
