/**
 * The end-to-end setup of e2e/play.test.ts as a function: a real origin on the real stack, one
 * demo title with generated media (cached in `.edgeflix/media` across runs) in a fresh local R2
 * bucket, the edge under `wrangler dev`, and Debian's chromium.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { chromium, type Browser } from 'playwright-core';
import { listen, realStackOrigin } from '../origin/test/support/origin.ts';
import { freePort, startEdge, type EdgeProcess } from '../scripts/edge-process.ts';
import { pickDemoTitles, replaceTitleMedia } from '../scripts/media/catalog.ts';
import { generateTitle } from '../scripts/media/generate.ts';
import { objectKey } from '../scripts/media/ladder.ts';
import { loadMediaIntoR2 } from '../scripts/media/r2.ts';
import { CHROMIUM, CHROMIUM_FLAGS } from '../scripts/media/smoke-play.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MEDIA_CACHE = path.join(ROOT, '.edgeflix/media');

export interface MediaEdge {
  edge: EdgeProcess;
  browser: Browser;
  titleId: string;
  /** Stops everything this started, last started first. */
  stop(): Promise<void>;
}

export async function startMediaEdge(options: {
  mediaSeconds: number;
  log: (line: string) => void;
}): Promise<MediaEdge> {
  const cleanup: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const step of cleanup) await step().catch((err: unknown) => options.log(`cleanup: ${String(err)}`));
  };
  try {
    const real = await realStackOrigin('e2e');
    cleanup.unshift(() => real.stop());
    const server = await listen(real.origin.app);
    cleanup.unshift(() => server.close());
    const sql = postgres(real.databaseUrl, { max: 1, onnotice: () => {} });
    const persist = await mkdtemp(path.join(tmpdir(), 'edgeflix-e2e-'));
    cleanup.push(() => rm(persist, { recursive: true, force: true }));
    let titleId: string;
    try {
      const [title] = await pickDemoTitles(sql, 1);
      titleId = title!.id;
      const { media, cached } = await generateTitle(title!, {
        outDir: MEDIA_CACHE,
        durationSeconds: options.mediaSeconds,
        onProgress: (rep, _fraction, done) => done && options.log(`media: ${rep} encoded`),
      });
      options.log(`media for ${title!.name}: ${cached ? 'cached' : 'generated'}`);
      const objects = media.files.map((f) => ({
        key: objectKey(media.titleId, f.path),
        file: path.join(MEDIA_CACHE, media.titleId, f.path),
        contentType: f.contentType,
      }));
      await loadMediaIntoR2(persist, objects);
      await replaceTitleMedia(sql, [media]);
    } finally {
      await sql.end();
    }
    const edge = await startEdge({
      port: await freePort(),
      originUrl: server.url,
      secrets: {
        AUTH_PUBLIC_JWKS: JSON.stringify(real.keys.publicJwks),
        SERVICE_TOKEN_SECRET: real.keys.serviceSecret,
        SEGMENT_SIGNING_KEYS: real.keys.segmentSigningKeys,
      },
      persistTo: persist,
      stdio: 'ignore',
    });
    cleanup.unshift(() => edge.stop());
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
    cleanup.unshift(() => browser.close());
    return { edge, browser, titleId, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
