/**
 * `npm start`: the origin (127.0.0.1:8788) and the edge under `wrangler dev` (127.0.0.1:8787),
 * then media for the demo titles (scripts/media/prepare.ts), first title first, while both serve.
 * Default: the embedded store (PGlite in .edgeflix/, seeded on first run), no servers needed.
 * `npm run start:stack` (or STORE_MODE=real with DATABASE_URL etc.) uses the real stack, migrated
 * and seeded here when its database has no accounts yet, as the embedded store is on first run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { migratePostgres, postgresClient } from '../origin/src/db/postgres.ts';
import type { Logger } from '../origin/src/log.ts';
import { seedIfEmpty } from '../origin/src/seed/bootstrap.ts';
import { loadOrCreateDevSecrets } from './dev-secrets.ts';
import { startEdge, waitForHealth } from './edge-process.ts';
import { DEMO_MEDIA, prepareMedia } from './media/prepare.ts';
import { errorMessage } from './stack/errors.ts';
import { stackUp } from './stack/index.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stateDir = path.join(root, '.edgeflix');
const useStack = process.argv.includes('--stack') || process.env['STORE_MODE'] === 'real';
const edgePort = Number(process.env['EDGE_PORT'] ?? 8787);
const originPort = Number(process.env['ORIGIN_PORT'] ?? 8788);
/** The origin serves its embedded database here (origin/src/config.ts EMBEDDED_PG_PORT). */
const embeddedPgPort = Number(process.env['EMBEDDED_PG_PORT'] || 54320);
const say = (line: string) => process.stdout.write(`[start] ${line}\n`);

/** The seed's events as terminal lines ("seed_progress phase=catalog"). */
function seedLine(event: string, fields: Record<string, unknown> = {}): void {
  const pairs = Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  say([event, ...pairs].join(' '));
}
const seedLog: Logger = { debug: () => {}, info: seedLine, warn: seedLine, error: seedLine };

/** Migrations and the demo catalog and accounts for a real-stack database that has none yet. */
async function prepareStackDatabase(databaseUrl: string): Promise<void> {
  await migratePostgres(databaseUrl, { embedded: false, log: (line) => say(line) });
  const sql = postgresClient(databaseUrl, { max: 1 });
  try {
    await seedIfEmpty(sql, seedLog);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const secrets = await loadOrCreateDevSecrets(stateDir);
  const storeEnv: Record<string, string> = useStack
    ? { STORE_MODE: 'real', ...(await stackUp(undefined, say)) }
    : {
        STORE_MODE: 'embedded',
        EMBEDDED_DATA_DIR: process.env['EMBEDDED_DATA_DIR'] ?? path.join(stateDir, 'pglite'),
        EMBEDDED_PG_PORT: String(embeddedPgPort),
      };
  const databaseUrl = useStack
    ? storeEnv['DATABASE_URL']!
    : `postgres://postgres:postgres@127.0.0.1:${embeddedPgPort}/postgres`;
  if (useStack) await prepareStackDatabase(databaseUrl);

  say(
    `origin: starting on 127.0.0.1:${originPort} (${storeEnv['STORE_MODE']} stores${useStack ? '' : '; the first run seeds a demo catalog'})`,
  );
  const origin = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'origin/src/main.ts')], {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      ...storeEnv,
      PORT: String(originPort),
      AUTH_SIGNING_JWK: JSON.stringify(secrets.signingJwk),
      SERVICE_TOKEN_SECRET: secrets.serviceSecret,
      OPERATOR_API_KEY: secrets.operatorApiKey,
      CONTENT_KEY_KEK: secrets.contentKeyKek,
    },
  });
  const children: ChildProcess[] = [origin];
  const media = new AbortController();
  let stopping = false;
  const stopAll = (code: number) => {
    if (stopping) return;
    stopping = true;
    media.abort();
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    setTimeout(() => process.exit(code), 1000).unref();
  };
  process.on('SIGINT', () => stopAll(0));
  process.on('SIGTERM', () => stopAll(0));
  origin.on('exit', (code) => {
    say(`origin exited (${code ?? 'signal'}); stopping`);
    stopAll(code ?? 1);
  });

  await waitForHealth(`http://127.0.0.1:${originPort}/healthz`, origin, 'origin', 300_000);
  say(`edge: starting wrangler dev on 127.0.0.1:${edgePort}`);
  const persistTo = path.join(stateDir, 'wrangler');
  const edge = await startEdge({
    port: edgePort,
    originUrl: `http://127.0.0.1:${originPort}`,
    secrets: {
      AUTH_PUBLIC_JWKS: JSON.stringify(secrets.publicJwks),
      SERVICE_TOKEN_SECRET: secrets.serviceSecret,
      SEGMENT_SIGNING_KEYS: secrets.segmentSigningKeys,
    },
    persistTo,
  });
  children.push(edge.child);
  edge.child.on('exit', (code) => {
    say(`edge exited (${code ?? 'signal'}); stopping`);
    stopAll(code ?? 1);
  });
  say(
    `ready in ${((Date.now() - started) / 1000).toFixed(1)} s: open http://127.0.0.1:${edgePort}/ ` +
      '(the web client; sign in with the prefilled demo account)',
  );
  say(
    `try: curl -s -X POST http://127.0.0.1:${edgePort}/v1/auth/login -H 'content-type: application/json' -d '{"email":"demo@edgeflix.test","password":"edgeflix-demo"}'`,
  );

  // The servers answer meanwhile; the web client shows the titles being prepared and picks them up.
  const mediaSay = (line: string) => process.stdout.write(`[media] ${line}\n`);
  try {
    const result = await prepareMedia({
      databaseUrl,
      ...DEMO_MEDIA,
      persistTo,
      outDir: path.join(stateDir, 'media'),
      contentKeyKek: secrets.contentKeyKek,
      say: mediaSay,
      signal: media.signal,
    });
    const since = (at: number) => `${((at - started) / 1000).toFixed(1)} s`;
    say(
      `playable: ${result.playable.length} titles (the first ${since(result.firstPlayableAt ?? Date.now())} ` +
        `after start, all ${since(Date.now())})`,
    );
    say(`more titles: ${useStack ? `DATABASE_URL=${databaseUrl} ` : ''}npm run media -- --titles 10`);
  } catch (err) {
    if (media.signal.aborted) return;
    mediaSay(`failed: ${errorMessage(err)}`);
    mediaSay(
      `the servers keep running; npm start again (or ${useStack ? `DATABASE_URL=${databaseUrl} ` : ''}npm run media) resumes where this stopped`,
    );
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`[start] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
