/**
 * `npm start`: the origin (127.0.0.1:8788) and the edge under `wrangler dev` (127.0.0.1:8787).
 * Default: the embedded store (PGlite in .edgeflix/, seeded on first run), no servers needed.
 * `npm run start:stack` (or STORE_MODE=real with DATABASE_URL etc.) uses the real stack.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stackUp } from './stack/index.ts';
import { loadOrCreateDevSecrets } from './dev-secrets.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stateDir = path.join(root, '.edgeflix');
const useStack = process.argv.includes('--stack') || process.env['STORE_MODE'] === 'real';
const edgePort = Number(process.env['EDGE_PORT'] ?? 8787);
const originPort = Number(process.env['ORIGIN_PORT'] ?? 8788);
const say = (line: string) => process.stdout.write(`[start] ${line}\n`);

async function waitForHealth(url: string, child: ChildProcess, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} while starting`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${what} did not answer ${url} within ${timeoutMs / 1000} s`);
}

async function main(): Promise<void> {
  const secrets = await loadOrCreateDevSecrets(stateDir);
  const storeEnv: Record<string, string> = useStack
    ? { STORE_MODE: 'real', ...(await stackUp(undefined, say)) }
    : { STORE_MODE: 'embedded', EMBEDDED_DATA_DIR: process.env['EMBEDDED_DATA_DIR'] ?? path.join(stateDir, 'pglite') };

  // wrangler dev reads secrets from .dev.vars next to wrangler.toml.
  await writeFile(
    path.join(root, '.dev.vars'),
    `AUTH_PUBLIC_JWKS='${JSON.stringify(secrets.publicJwks)}'\nSERVICE_TOKEN_SECRET='${secrets.serviceSecret}'\n`,
    { mode: 0o600 },
  );

  say(
    `origin: starting on 127.0.0.1:${originPort} (${storeEnv['STORE_MODE']} stores${useStack ? '' : '; first run seeds a demo catalog'})`,
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
    },
  });
  const children: ChildProcess[] = [origin];
  const stopAll = (code: number) => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    setTimeout(() => process.exit(code), 500).unref();
  };
  process.on('SIGINT', () => stopAll(0));
  process.on('SIGTERM', () => stopAll(0));

  try {
    await waitForHealth(`http://127.0.0.1:${originPort}/healthz`, origin, 'origin', 300_000);
  } catch (err) {
    say(err instanceof Error ? err.message : String(err));
    stopAll(1);
    return;
  }

  say(`edge: starting wrangler dev on 127.0.0.1:${edgePort}`);
  const wrangler = path.join(root, 'node_modules/wrangler/bin/wrangler.js');
  const edge = spawn(
    process.execPath,
    [
      wrangler,
      'dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(edgePort),
      '--var',
      `ORIGIN_URL:http://127.0.0.1:${originPort}`,
      '--show-interactive-dev-session=false',
      '--persist-to',
      path.join(stateDir, 'wrangler'),
    ],
    { cwd: root, stdio: 'inherit', env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
  );
  children.push(edge);
  for (const child of children) {
    child.on('exit', (code) => {
      say(`${child === origin ? 'origin' : 'edge'} exited (${code ?? 'signal'}); stopping`);
      stopAll(code ?? 1);
    });
  }
  try {
    await waitForHealth(`http://127.0.0.1:${edgePort}/healthz`, edge, 'edge', 120_000);
    say(
      `ready: http://127.0.0.1:${edgePort} (try: curl -s -X POST http://127.0.0.1:${edgePort}/v1/auth/login -H 'content-type: application/json' -d '{"email":"demo@edgeflix.test","password":"edgeflix-demo"}')`,
    );
  } catch (err) {
    say(err instanceof Error ? err.message : String(err));
    stopAll(1);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`[start] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
