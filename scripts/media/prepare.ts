/**
 * One media run: makes the demo titles playable, first title first. Used by `npm start` (after
 * its servers are up) and by `npm run media`.
 *
 * 1. Claims the titles that need work as `preparing` in the catalog (a lease, renewed while the
 *    run works, so a run that dies stops claiming them; see migration 0006).
 * 2. First pass, per title not yet playable: the cheapest representations (ladder.ts
 *    FIRST_REPRESENTATIONS), checked with ffprobe, loaded into the local R2 bucket, read back,
 *    then described in the catalog and marked `media_available`: the title plays from here on.
 * 3. Second pass, per title: the rest of the ladder, the same way; the catalog rows are replaced
 *    with the whole ladder and the claim ends.
 *
 * Representations are cached in `outDir` one by one, so a second run (or one after a crash)
 * encodes only what is missing; objects already in the bucket with the same bytes are skipped.
 *
 * Protected titles (`protectedIndexes`) are encrypted after each pass (protect.ts) with keys kept
 * wrapped in the catalog (content-keys.ts); only the encrypted files go to the bucket.
 */
import type { KeyEncryptionKey } from '../../core/protection/key-wrap.ts';
import { join } from 'node:path';

import postgres from 'postgres';

import { StackError } from '../stack/errors.ts';
import {
  availableTitles,
  claimPreparing,
  pickDemoTitles,
  PREPARING_LEASE_SECONDS,
  releasePreparing,
  replaceTitleMedia,
  type DemoTitle,
} from './catalog.ts';
import { ensureFfmpeg, type MediaTools } from './ffmpeg.ts';
import { clearCachedTitle, generateTitle, missingRepresentations, type GeneratedTitle } from './generate.ts';
import { ALL_REPRESENTATIONS, FIRST_REPRESENTATIONS, objectKey } from './ladder.ts';
import { openMediaBucket, type MediaBucket, type MediaObject } from './r2.ts';
import { probeTitle } from './verify.ts';
import { importKek } from '../../core/protection/key-wrap.ts';
import { titleContentKeys } from './content-keys.ts';
import { protectTitle, tiersOf } from './protect.ts';

/**
 * What `npm start` prepares: three titles (two any profile may watch, one adults-only) of a minute
 * each; the second is protected (CENC, Clear Key licences from the edge).
 */
export const DEMO_MEDIA = { titles: 3, durationSeconds: 60, protectedIndexes: [1] } as const;

export interface PrepareOptions {
  databaseUrl: string;
  /** How many demo titles (see pickDemoTitles). */
  titles: number;
  durationSeconds: number;
  /** wrangler dev's `--persist-to`, where the edge's R2 bucket lives. */
  persistTo: string;
  /** Where generated files are cached. */
  outDir: string;
  /** Regenerate even representations whose cached files are current. */
  force?: boolean;
  /** Which of the picked titles (0-based, in pick order) are protected. */
  protectedIndexes?: readonly number[];
  /** The key-encryption key (CONTENT_KEY_KEK, base64url); needed when any title is protected. */
  contentKeyKek?: string;
  /** One line of progress for a person. */
  say: (line: string) => void;
  /** Stops the run: the encode under way is killed, claims are released. */
  signal?: AbortSignal;
}

export interface PrepareResult {
  /** Titles playable when the run ended. */
  playable: DemoTitle[];
  /** When the first title was playable (epoch ms; the run's start when one already was). */
  firstPlayableAt: number | undefined;
  seconds: number;
}

/** How often an encode's progress is printed at most. */
const PROGRESS_EVERY_MS = 3000;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** Runs the two passes described above. Rejects on the first failure, after ending its claims. */
export async function prepareMedia(options: PrepareOptions): Promise<PrepareResult> {
  const started = Date.now();
  const { say } = options;
  const tools = await ensureFfmpeg(say);
  say(`ffmpeg: ${tools.source === 'npm' ? 'the static build from the npm package' : 'from PATH'} (${tools.ffmpeg})`);
  const sql = postgres(options.databaseUrl, { max: 1, onnotice: () => {} });
  // Miniflare takes seconds to start: open the bucket while the first encode runs.
  const bucketOpening = openMediaBucket(options.persistTo);
  bucketOpening.catch(() => {});
  const claimed = new Set<string>();
  const protectedIndexes = options.protectedIndexes ?? [];
  if (protectedIndexes.length > 0 && !options.contentKeyKek) {
    throw new StackError('media: protected titles need the key-encryption key (CONTENT_KEY_KEK)');
  }
  const kek = options.contentKeyKek ? await importKek(options.contentKeyKek) : undefined;
  let renewal: NodeJS.Timeout | undefined;
  try {
    const titles = await pickDemoTitles(sql, options.titles);
    if (options.force) for (const t of titles) clearCachedTitle(options.outDir, t.id);
    const cache = { outDir: options.outDir, durationSeconds: options.durationSeconds };
    const available = await availableTitles(
      sql,
      titles.map((t) => t.id),
    );
    const needsWork = titles.filter((t) => !available.has(t.id) || missingRepresentations(t, cache).length > 0);
    for (const t of needsWork) claimed.add(t.id);
    await claimPreparing(sql, [...claimed]);
    renewal = setInterval(
      () => void claimPreparing(sql, [...claimed]).catch(() => {}),
      (PREPARING_LEASE_SECONDS * 1000) / 3,
    );
    renewal.unref();
    say(
      `${titles.length} demo title(s), ${options.durationSeconds} s each; ` +
        (needsWork.length === 0
          ? 'every one is cached: loading and checking'
          : `${needsWork.length} to prepare (the first renditions of each, then the rest)`),
    );

    // A title the catalog already offered is playable from the start (its media is in the bucket).
    const run: Run = {
      options,
      tools,
      sql,
      bucketOpening,
      started,
      firstPlayableAt: available.size > 0 ? started : undefined,
      protectedIds: new Set(protectedIndexes.map((i) => titles[i]?.id).filter((id) => id !== undefined)),
      kek,
    };
    const label = (i: number, t: DemoTitle) => `${i + 1}/${titles.length} ${t.name}`;
    for (const [i, title] of titles.entries()) {
      if (available.has(title.id)) continue;
      await preparePass(run, title, label(i, title), FIRST_REPRESENTATIONS, { final: false });
      available.add(title.id);
    }
    for (const [i, title] of titles.entries()) {
      await preparePass(run, title, label(i, title), ALL_REPRESENTATIONS, { final: true });
      claimed.delete(title.id);
    }
    const result: PrepareResult = {
      playable: titles,
      firstPlayableAt: run.firstPlayableAt,
      seconds: (Date.now() - started) / 1000,
    };
    say(`playable: ${titles.length} title(s) (all done in ${seconds(Date.now() - started)})`);
    return result;
  } finally {
    if (renewal) clearInterval(renewal);
    await releasePreparing(sql, [...claimed]).catch(() => {});
    await sql.end({ timeout: 5 });
    await bucketOpening.then(
      (bucket) => bucket.close(),
      () => {},
    );
  }
}

interface Run {
  options: PrepareOptions;
  tools: MediaTools;
  sql: postgres.Sql;
  bucketOpening: Promise<MediaBucket>;
  started: number;
  firstPlayableAt: number | undefined;
  protectedIds: ReadonlySet<string>;
  kek: KeyEncryptionKey | undefined;
}

/** Makes `representations` of one title, loads them and describes exactly them in the catalog. */
async function preparePass(
  run: Run,
  title: DemoTitle,
  label: string,
  representations: readonly string[],
  pass: { final: boolean },
): Promise<void> {
  const { options, tools } = run;
  const say = options.say;
  options.signal?.throwIfAborted();
  const missing = missingRepresentations(title, {
    outDir: options.outDir,
    durationSeconds: options.durationSeconds,
    representations,
  });
  if (missing.length > 0) say(`${label}: generating ${missing.join(', ')}`);
  const report = encodeProgress(label, missing, say);
  const generated = await generateTitle(title, {
    outDir: options.outDir,
    durationSeconds: options.durationSeconds,
    representations,
    tools,
    onProgress: report,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const { encoded } = generated;
  if (encoded.length > 0) {
    const problems = await probeTitle(tools, join(options.outDir, title.id), generated.media, encoded);
    if (problems.length > 0) {
      throw new StackError(`media: ${title.name} failed its checks:\n  ${problems.join('\n  ')}`);
    }
  }
  let media = generated.media;
  let folder = join(options.outDir, title.id);
  if (run.protectedIds.has(title.id) && run.kek) {
    const keys = await titleContentKeys(run.sql, title.id, tiersOf(media), run.kek);
    const result = protectTitle(options.outDir, media, keys);
    if (result.encrypted.length > 0) {
      say(
        `${label}: encrypted ${result.encrypted.join(', ')} (cenc, ${keys.size} keys) in ${seconds(result.seconds * 1000)}`,
      );
    }
    ({ media, dir: folder } = result);
  }

  const objects = objectsOf(folder, media);
  const bucket = await run.bucketOpening;
  say(`${label}: uploading ${objects.length} objects`);
  const loaded = await bucket.load(objects);
  const written = new Set(loaded.writtenKeys);
  const problems = await bucket.verify(objects.filter((o) => written.has(o.key)));
  if (problems.length > 0) {
    throw new StackError(`media: r2 read-back failed:\n  ${problems.slice(0, 20).join('\n  ')}`);
  }
  // Only now, with the files in the bucket, does the catalog call the title playable.
  await replaceTitleMedia(run.sql, [media], { stillPreparing: !pass.final });
  run.firstPlayableAt ??= Date.now();
  say(
    `${label}: ready after ${seconds(Date.now() - run.started)} ` +
      `(${describe(media, pass.final)}; ${describeLoad(loaded.written, loaded.bytes)})`,
  );
}

function describe(media: GeneratedTitle, final: boolean): string {
  const heights = media.video.map((v) => `${v.family === 'avc1' ? 'H.264' : 'VP9'} ${v.height}p`);
  const what = `${heights.join(', ')}; ${media.audio.length} audio, ${media.subtitles.length} subtitle track(s)`;
  return final ? what : `${what}; more renditions to come`;
}

function describeLoad(written: number, bytes: number): string {
  return written === 0 ? 'already in the bucket' : `${written} objects written, ${megabytes(bytes)}`;
}

/** Encoding progress of one pass as a whole, printed every few seconds and at each end. */
function encodeProgress(
  label: string,
  representations: readonly string[],
  say: (line: string) => void,
): (representation: string, fraction: number, done: boolean) => void {
  const finished = new Set<string>();
  let lastPrinted = 0;
  let lastPercent = -1;
  return (rep, fraction, done) => {
    if (done) finished.add(rep);
    const share = representations.length === 0 ? 1 : 1 / representations.length;
    const percent = Math.floor(100 * share * (finished.size + (done ? 0 : fraction)));
    const now = Date.now();
    if (percent === lastPercent || (!done && now - lastPrinted < PROGRESS_EVERY_MS)) return;
    lastPrinted = now;
    lastPercent = percent;
    say(`${label}: encoding ${percent}% (${rep}${done ? ' done' : ''})`);
  };
}

/** The objects of `media`, whose files are in `folder`. */
function objectsOf(folder: string, media: GeneratedTitle): MediaObject[] {
  return media.files.map((f) => ({
    key: objectKey(media.titleId, f.path),
    file: join(folder, f.path),
    contentType: f.contentType,
  }));
}
