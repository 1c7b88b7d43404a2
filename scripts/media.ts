/**
 * `npm run media`: generates real playable media for a few demo titles, describes it in the
 * catalog and loads it into the local object store the edge serves segments from. `npm start`
 * runs the same for the default titles by itself; this is for more titles, longer media, or a
 * database of your own.
 *
 *   DATABASE_URL=postgres://… npx tsx scripts/media.ts [--titles 3] [--duration 60] [--persist-to .edgeflix/wrangler]
 *
 * ffmpeg (on PATH, else the static build from the npm package, else Debian's) makes, per title, a
 * test pattern in four H.264 and two VP9 renditions, two AAC audio languages and three WebVTT
 * tracks, as 4-second fMP4 segments under `.edgeflix/media/<titleId>/`, the cheapest renditions
 * first; ffprobe checks each; the files go into the local R2 bucket `edgeflix-media` that
 * `wrangler dev --persist-to <dir>` reads; the catalog rows are replaced to describe exactly them.
 * See scripts/media/prepare.ts.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { StackError, errorMessage } from './stack/errors.ts';
import { DEMO_MEDIA, prepareMedia } from './media/prepare.ts';
import { loadOrCreateDevSecrets } from './dev-secrets.ts';

const ROOT = resolve(import.meta.dirname, '..');
const DEFAULTS = { ...DEMO_MEDIA, persistTo: '.edgeflix/wrangler', out: '.edgeflix/media' };

/** Where `npm start`'s embedded database answers (origin EMBEDDED_PG_PORT default). */
const EMBEDDED_DATABASE_URL = 'postgres://postgres:postgres@127.0.0.1:54320/postgres';

const USAGE = `Usage: DATABASE_URL=postgres://… npx tsx scripts/media.ts [options]

Options:
  --titles N         how many demo titles get media (default ${DEFAULTS.titles}: ${DEFAULTS.titles - 1} any profile may watch, 1 adults-only)
  --duration S       seconds of media per title, 8 to 600 (default ${DEFAULTS.durationSeconds})
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
    duration: int('duration', values.duration, DEFAULTS.durationSeconds, 8, 600),
    persistTo: resolve(ROOT, values['persist-to'] ?? DEFAULTS.persistTo),
    out: resolve(ROOT, values.out ?? DEFAULTS.out),
    force: values.force ?? false,
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const result = await prepareMedia({
    // Without DATABASE_URL, the embedded database of a running `npm start`.
    databaseUrl: process.env['DATABASE_URL'] ?? EMBEDDED_DATABASE_URL,
    titles: options.titles,
    durationSeconds: options.duration,
    persistTo: options.persistTo,
    outDir: options.out,
    force: options.force,
    protectedIndexes: DEMO_MEDIA.protectedIndexes,
    // The origin must unwrap with the same key: the dev one unless CONTENT_KEY_KEK says otherwise.
    contentKeyKek:
      process.env['CONTENT_KEY_KEK'] ?? (await loadOrCreateDevSecrets(resolve(ROOT, '.edgeflix'))).contentKeyKek,
    say: (line) => console.log(`media: ${line}`),
  });
  for (const title of result.playable) console.log(`  ${title.id}  ${title.name}  (${title.maturityRating})`);
  console.log(`Cached files are kept in ${options.out}; run again with --force to regenerate.`);
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
