/**
 * Generates real playable media for a few demo titles, describes it in the catalog and loads it
 * into the local object store the edge serves segments from.
 *
 *   DATABASE_URL=postgres://… npx tsx scripts/media.ts [--titles 3] [--duration 60] [--persist-to .edgeflix/wrangler]
 *
 * 1. ffmpeg (installed from Debian's packages when missing) makes, per title, a test pattern in
 *    four H.264 and two VP9 renditions, two AAC audio languages and three WebVTT tracks, as
 *    4-second fMP4 segments (`init.mp4`, `seg-<n>.m4s`) under `.edgeflix/media/<titleId>/`.
 *    Titles whose files match the current parameters are not regenerated.
 * 2. ffprobe checks every representation.
 * 3. The files go into the local R2 bucket `edgeflix-media` (binding `MEDIA`) that
 *    `wrangler dev --persist-to <dir>` reads, and are read back to check them.
 * 4. The titles' `encodings`, `audio_tracks` and `subtitle_tracks` rows are replaced, in one
 *    transaction, with rows describing exactly those files; `duration_seconds` is set to the
 *    media's and `media_available` to true.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import postgres from 'postgres';

import { StackError, errorMessage } from './stack/errors.ts';
import { pickDemoTitles, replaceTitleMedia } from './media/catalog.ts';
import { ensureFfmpeg } from './media/ffmpeg.ts';
import { generateTitle, type GeneratedTitle } from './media/generate.ts';
import { objectKey } from './media/ladder.ts';
import { MEDIA_BUCKET, loadMediaIntoR2, verifyMediaInR2, type MediaObject } from './media/r2.ts';
import { probeTitle } from './media/verify.ts';

const ROOT = resolve(import.meta.dirname, '..');
const DEFAULTS = { titles: 3, duration: 60, persistTo: '.edgeflix/wrangler', out: '.edgeflix/media' };

/** Where `npm start`'s embedded database answers (origin EMBEDDED_PG_PORT default). */
const EMBEDDED_DATABASE_URL = 'postgres://postgres:postgres@127.0.0.1:54320/postgres';

const USAGE = `Usage: DATABASE_URL=postgres://… npx tsx scripts/media.ts [options]

Options:
  --titles N         how many demo titles get media (default ${DEFAULTS.titles}: ${DEFAULTS.titles - 1} any profile may watch, 1 adults-only)
  --duration S       seconds of media per title, 8 to 600 (default ${DEFAULTS.duration})
  --persist-to DIR   wrangler dev's local state, where the edge's R2 bucket lives (default ${DEFAULTS.persistTo})
  --out DIR          where generated files are cached (default ${DEFAULTS.out})
  --force            regenerate even titles whose cached files are current
  -h, --help         show this help

DATABASE_URL: while "npm start" runs, its embedded database answers on
  postgres://postgres:postgres@127.0.0.1:54320/postgres
and the real stack's is postgres://edgeflix:edgeflix@127.0.0.1:54329/edgeflix.
A running "wrangler dev" with the same --persist-to serves the loaded files at once.`;

class UsageError extends Error {}

interface Options {
  titles: number;
  duration: number;
  persistTo: string;
  out: string;
  force: boolean;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      titles: { type: 'string' },
      duration: { type: 'string' },
      'persist-to': { type: 'string' },
      out: { type: 'string' },
      force: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const int = (name: string, raw: string | undefined, fallback: number, min: number, max: number): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < min || n > max)
      throw new UsageError(`--${name} must be an integer from ${min} to ${max}`);
    return n;
  };
  return {
    titles: int('titles', values.titles, DEFAULTS.titles, 1, 50),
    duration: int('duration', values.duration, DEFAULTS.duration, 8, 600),
    persistTo: resolve(ROOT, values['persist-to'] ?? DEFAULTS.persistTo),
    out: resolve(ROOT, values.out ?? DEFAULTS.out),
    force: values.force ?? false,
  };
}

const say = (line: string) => console.log(line);

/** Live percentages on a terminal; one line per finished rendition otherwise. */
function progressPrinter(prefix: string): (rep: string, fraction: number, done: boolean) => void {
  const tty = process.stdout.isTTY;
  let started = Date.now();
  return (rep, fraction, done) => {
    if (fraction === 0 && !done) started = Date.now();
    const line = `${prefix} ${rep.padEnd(16)} ${String(Math.round(fraction * 100)).padStart(3)}%`;
    if (done) {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      process.stdout.write(`${tty ? '\r\x1b[K' : ''}${line} (${seconds} s)\n`);
    } else if (tty) {
      process.stdout.write(`\r\x1b[K${line}`);
    }
  };
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function objectsOf(out: string, media: GeneratedTitle): MediaObject[] {
  return media.files.map((f) => ({
    key: objectKey(media.titleId, f.path),
    file: join(out, media.titleId, f.path),
    contentType: f.contentType,
  }));
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  // Without DATABASE_URL, the embedded database of a running `npm start`.
  const databaseUrl = process.env['DATABASE_URL'] ?? EMBEDDED_DATABASE_URL;

  await ensureFfmpeg(say);
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const titles = await pickDemoTitles(sql, options.titles);
    say(`media: ${titles.length} title(s), ${options.duration} s each, into ${options.out}`);

    const generated: GeneratedTitle[] = [];
    for (const [i, title] of titles.entries()) {
      const prefix = `[${i + 1}/${titles.length}]`;
      say(`${prefix} ${title.name} (${title.id}, ${title.maturityRating})`);
      const started = Date.now();
      const { media, cached } = await generateTitle(title, {
        outDir: options.out,
        durationSeconds: options.duration,
        force: options.force,
        onProgress: progressPrinter(`${prefix}  `),
      });
      const bytes = media.files.reduce((sum, f) => sum + f.size, 0);
      const problems = await probeTitle(join(options.out, title.id), media);
      if (problems.length > 0)
        throw new StackError(`media: ${title.name} failed its checks:\n  ${problems.join('\n  ')}`);
      const how = cached
        ? 'cached (parameters unchanged)'
        : `generated in ${((Date.now() - started) / 1000).toFixed(1)} s`;
      say(`${prefix}  ${how}; ${media.files.length} files, ${megabytes(bytes)}; ffprobe: every representation OK`);
      generated.push(media);
    }

    const objects = generated.flatMap((m) => objectsOf(options.out, m));
    const tty = process.stdout.isTTY;
    const loaded = await loadMediaIntoR2(options.persistTo, objects, (done, total) => {
      if (tty) process.stdout.write(`\r\x1b[Kr2: ${done}/${total} objects`);
    });
    if (tty) process.stdout.write('\r\x1b[K');
    const problems = await verifyMediaInR2(options.persistTo, objects);
    if (problems.length > 0) throw new StackError(`r2: read-back failed:\n  ${problems.slice(0, 20).join('\n  ')}`);
    say(
      `r2: ${objects.length} objects in bucket ${MEDIA_BUCKET} (${loaded.written} written, ${megabytes(loaded.bytes)}; ` +
        `${loaded.unchanged} unchanged) under ${options.persistTo}; read back and verified`,
    );

    // Only now, with the files in the bucket, does the catalog call these titles playable.
    await replaceTitleMedia(sql, generated);
    const rows = generated.reduce((n, m) => n + m.video.length + m.audio.length + m.subtitles.length, 0);
    say(
      `catalog: replaced the media rows of ${generated.length} title(s) (${rows} rows) and marked them ` +
        'media_available, in one transaction',
    );
    for (const media of generated) {
      const size = megabytes(media.files.reduce((sum, f) => sum + f.size, 0));
      say(`  ${media.titleId}  ${media.name}  (${size}, generated in ${media.generationSeconds} s)`);
    }
    say('Cached files are kept; run again with --force to regenerate.');
  } finally {
    await sql.end({ timeout: 5 });
  }
}

main().catch((err: unknown) => {
  if (err instanceof UsageError) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(err instanceof StackError ? err.message : errorMessage(err));
  if (!(err instanceof StackError) && err instanceof Error && err.stack) console.error(err.stack);
  process.exit(1);
});
