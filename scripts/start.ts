/**
 * `npm start`: the origin (127.0.0.1:8788) and the edge under `wrangler dev` (127.0.0.1:8787).
 * Default: the embedded store (PGlite in .edgeflix/, seeded on first run), no servers needed.
 * `npm run start:stack` (or STORE_MODE=real with DATABASE_URL etc.) uses the real stack.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadOrCreateDevSecrets } from './dev-secrets.ts';
import { startEdge, waitForHealth } from './edge-process.ts';
import { stackUp } from './stack/index.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stateDir = path.join(root, '.edgeflix');
const useStack = process.argv.includes('--stack') || process.env['STORE_MODE'] === 'real';
const edgePort = Number(process.env['EDGE_PORT'] ?? 8787);
const originPort = Number(process.env['ORIGIN_PORT'] ?? 8788);
const say = (line: string) => process.stdout.write(`[start] ${line}\n`);

async function main(): Promise<void> {
  const secrets = await loadOrCreateDevSecrets(stateDir);
  const storeEnv: Record<string, string> = useStack
    ? { STORE_MODE: 'real', ...(await stackUp(undefined, say)) }
    : { STORE_MODE: 'embedded', EMBEDDED_DATA_DIR: process.env['EMBEDDED_DATA_DIR'] ?? path.join(stateDir, 'pglite') };

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
    },
  });
  const children: ChildProcess[] = [origin];
  let stopping = false;
  const stopAll = (code: number) => {
    if (stopping) return;
    stopping = true;
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
  const edge = await startEdge({
    port: edgePort,
    originUrl: `http://127.0.0.1:${originPort}`,
    secrets: {
      AUTH_PUBLIC_JWKS: JSON.stringify(secrets.publicJwks),
      SERVICE_TOKEN_SECRET: secrets.serviceSecret,
      SEGMENT_SIGNING_KEYS: secrets.segmentSigningKeys,
    },
    persistTo: path.join(stateDir, 'wrangler'),
  });
  children.push(edge.child);
  edge.child.on('exit', (code) => {
    say(`edge exited (${code ?? 'signal'}); stopping`);
    stopAll(code ?? 1);
  });
  say(`ready: open http://127.0.0.1:${edgePort}/ (the web client; sign in with the prefilled demo account)`);
  say(
    `no playable titles yet? in another terminal: ${useStack ? `DATABASE_URL=${storeEnv['DATABASE_URL']} ` : ''}npm run media`,
  );
  say(
    `try: curl -s -X POST http://127.0.0.1:${edgePort}/v1/auth/login -H 'content-type: application/json' -d '{"email":"demo@edgeflix.test","password":"edgeflix-demo"}'`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`[start] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
