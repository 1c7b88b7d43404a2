/**
 * Seeds PostgreSQL with the deterministic catalog and the demo accounts.
 *
 *   DATABASE_URL=postgres://… npx tsx scripts/seed.ts [--size demo|full] [--titles N] [--seed S]
 *
 * Runs the PostgreSQL migrations first, then writes the rows (idempotent: re-running changes
 * nothing; a larger size later only adds titles). demo = 300 top-level titles, full = 15,000.
 */
import { parseArgs } from 'node:util';
import { migratePostgres } from '../origin/src/db/postgres.ts';
import postgres from 'postgres';
import { DEMO_CREDENTIALS } from '../origin/src/seed/accounts.ts';
import { CATALOG_SIZES, DEFAULT_SEED } from '../origin/src/seed/catalog.ts';
import { seedDatabase, type SeedPhase, type SeedResult } from '../origin/src/seed/write.ts';

const USAGE = `Usage: DATABASE_URL=postgres://user@host:5432/db npx tsx scripts/seed.ts [options]

Options:
  --size demo|full   catalog size: demo = ${CATALOG_SIZES.demo} top-level titles (default), full = ${CATALOG_SIZES.full.toLocaleString('en-US')}
  --titles N         exact number of top-level titles (overrides --size)
  --seed S           seed string for the catalog (default "${DEFAULT_SEED}"; another seed makes another catalog)
  --skip-migrations  do not run migrations/postgres first
  -h, --help         show this help`;

class UsageError extends Error {}

function parseOptions(argv: string[]): { titles: number; seed: string; migrate: boolean; label: string } {
  const { values } = parseArgs({
    args: argv,
    options: {
      size: { type: 'string' },
      titles: { type: 'string' },
      seed: { type: 'string' },
      'skip-migrations': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  let titles: number = CATALOG_SIZES.demo;
  let label = 'demo';
  if (values.size !== undefined) {
    if (values.size !== 'demo' && values.size !== 'full')
      throw new UsageError(`--size must be demo or full, got "${values.size}"`);
    titles = CATALOG_SIZES[values.size];
    label = values.size;
  }
  if (values.titles !== undefined) {
    if (!/^\d+$/.test(values.titles) || Number(values.titles) < 1 || Number(values.titles) > 1_000_000) {
      throw new UsageError(`--titles must be an integer from 1 to 1000000, got "${values.titles}"`);
    }
    titles = Number(values.titles);
    label = 'custom';
  }
  const seed = values.seed ?? DEFAULT_SEED;
  if (seed.length === 0) throw new UsageError('--seed must not be empty');
  return { titles, seed, migrate: !values['skip-migrations'], label };
}

/** Hides the password in a connection string for display. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/** A one-line bar on a TTY; periodic plain lines otherwise (CI logs, pipes). */
function progressReporter(stream: NodeJS.WriteStream): {
  update: (done: number, total: number, phase: SeedPhase) => void;
  finish: () => void;
} {
  const start = performance.now();
  const tty = stream.isTTY === true;
  let lastLine = 0;
  let lastPhase = '';
  let drawn = false;
  return {
    update(done, total, phase) {
      const now = performance.now();
      const pct = total > 0 ? done / total : 1;
      const elapsed = formatDuration(now - start);
      if (tty) {
        const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - 50));
        const filled = Math.round(pct * width);
        const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
        stream.write(
          `\r\x1b[2K${phase.padEnd(9)} ${bar} ${(pct * 100).toFixed(0).padStart(3)}%  ${fmt(done)}/${fmt(total)}  ${elapsed}`,
        );
        drawn = true;
        return;
      }
      const phaseChanged = phase !== lastPhase;
      if (phaseChanged || done === total || now - lastLine >= 5000) {
        stream.write(`${phase}: ${fmt(done)}/${fmt(total)} (${(pct * 100).toFixed(0)}%) after ${elapsed}\n`);
        lastLine = now;
        lastPhase = phase;
      }
    },
    finish() {
      if (tty && drawn) stream.write('\n');
      drawn = false;
    },
  };
}

function printSummary(result: SeedResult, elapsedMs: number, label: string): void {
  const rows: [string, number, number][] = [
    ['maturity_ratings', result.maturityRatings, result.changed.maturity_ratings],
    ['genres', result.genres, result.changed.genres],
    ['plans', result.plans, result.changed.plans],
    [`titles (movies ${fmt(result.movies)}, series ${fmt(result.series)})`, result.titles, -1],
    ['episodes', result.episodes, -1],
    ['titles table total', result.titles + result.episodes, result.changed.titles],
    ['seasons', result.seasons, result.changed.seasons],
    ['title_genres', result.titleGenres, result.changed.title_genres],
    ['title_credits', result.titleCredits, result.changed.title_credits],
    ['title_keywords', result.titleKeywords, result.changed.title_keywords],
    ['title_original_names', result.titleOriginalNames, result.changed.title_original_names],
    ['artwork', result.artwork, result.changed.artwork],
    ['encodings', result.encodings, result.changed.encodings],
    ['audio_tracks', result.audioTracks, result.changed.audio_tracks],
    ['subtitle_tracks', result.subtitleTracks, result.changed.subtitle_tracks],
    ['accounts', result.accounts, result.changed.accounts],
    ['profiles', result.profiles, result.changed.profiles],
  ];
  const nameWidth = Math.max(...rows.map(([n]) => n.length));
  console.log(`\nSeeded catalog "${label}" in ${formatDuration(elapsedMs)}:`);
  console.log(`  ${'table'.padEnd(nameWidth)}  ${'rows'.padStart(10)}  ${'written now'.padStart(11)}`);
  for (const [name, count, written] of rows) {
    console.log(
      `  ${name.padEnd(nameWidth)}  ${fmt(count).padStart(10)}  ${(written < 0 ? '' : fmt(written)).padStart(11)}`,
    );
  }
  const totalWritten = Object.values(result.changed).reduce((a, b) => a + b, 0);
  if (totalWritten === 0) console.log('  (everything was already there: nothing changed)');
  else if (result.skippedTitles > 0)
    console.log(`  (${fmt(result.skippedTitles)} titles were already complete and skipped)`);
  console.log('\nDemo logins:');
  for (const c of DEMO_CREDENTIALS)
    console.log(`  ${c.email.padEnd(22)} ${c.password.padEnd(16)} profiles: ${c.profiles.join(', ')}`);
}

async function main(): Promise<number> {
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    return 2;
  }
  const databaseUrl = process.env['DATABASE_URL'];
  if (!databaseUrl) {
    console.error(
      'DATABASE_URL is not set. Point it at the PostgreSQL database to seed, e.g.\n' +
        '  DATABASE_URL=postgres://postgres@127.0.0.1:5432/edgeflix npm run seed',
    );
    return 2;
  }

  const started = performance.now();
  console.log(`Seeding ${redact(databaseUrl)} with ${fmt(options.titles)} top-level titles (seed "${options.seed}")`);

  if (options.migrate) {
    const ran = await migratePostgres(databaseUrl, { embedded: false, log: (m) => console.warn(`migrate: ${m}`) });
    console.log(ran.length > 0 ? `Applied migrations: ${ran.join(', ')}` : 'Migrations: up to date');
  }

  // One connection is enough (the writer is sequential) and is all PGlite's socket server allows.
  const sql = postgres(databaseUrl, {
    max: 1,
    onnotice: () => {},
    connect_timeout: 10,
    connection: { application_name: 'edgeflix-seed' },
  });
  const reporter = progressReporter(process.stderr);
  try {
    const result = await seedDatabase(sql, { titles: options.titles, seed: options.seed, onProgress: reporter.update });
    reporter.finish();
    printSummary(result, performance.now() - started, options.label);
    return 0;
  } finally {
    reporter.finish();
    await sql.end({ timeout: 5 });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const e = err as { message?: string; code?: string; detail?: string };
    console.error(`\nSeed failed: ${e.message ?? String(err)}${e.detail ? `\n  ${e.detail}` : ''}`);
    if (e.code === 'ECONNREFUSED') console.error('Is the database running and DATABASE_URL right?');
    process.exitCode = 1;
  },
);
