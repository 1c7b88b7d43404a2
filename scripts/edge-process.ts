/**
 * Runs the edge worker under `wrangler dev` (workerd), as `npm start` does, for the start script,
 * benchmarks and browser tests. Secrets go in through an env file, never on the command line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMPLETION_THRESHOLD_VARS } from '../core/progress.ts';
import { prepareWebAssets } from './web-assets.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface EdgeProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export interface EdgeOptions {
  port: number;
  originUrl: string;
  secrets: { AUTH_PUBLIC_JWKS: string; SERVICE_TOKEN_SECRET: string; SEGMENT_SIGNING_KEYS: string };
  /** Extra vars over wrangler.toml's (e.g. PROGRESS_FLUSH_INTERVAL_MS). */
  vars?: Record<string, string>;
  persistTo: string;
  /** Where wrangler's output goes (default: inherited); `logFile` appends it to a file instead. */
  stdio?: 'inherit' | 'ignore';
  logFile?: string;
  readyTimeoutMs?: number;
  /** How long one readiness probe may take (default 1 s). */
  healthAttemptTimeoutMs?: number;
  /** Another wrangler config than the repository's wrangler.toml (e.g. a second edge for a benchmark). */
  config?: string;
  /** Extra environment for wrangler itself (e.g. WRANGLER_REGISTRY_PATH, a private dev registry). */
  processEnv?: Record<string, string>;
}

/** A free TCP port on loopback (for an edge or origin started by a test or benchmark). */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Waits until `url` answers 2xx, failing early if `child` exits. `attemptTimeoutMs`: how long one
 * probe may take (longer when the server starts under load, e.g. a chaos run's traffic).
 */
export async function waitForHealth(
  url: string,
  child: ChildProcess,
  what: string,
  timeoutMs: number,
  attemptTimeoutMs = 1000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} while starting`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(attemptTimeoutMs) });
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${what} did not answer ${url} within ${timeoutMs / 1000} s`);
}

/** Settings the edge and the origin must agree on: passed on from the environment the origin gets too. */
function sharedVars(): Record<string, string> {
  const names = Object.values(COMPLETION_THRESHOLD_VARS);
  return Object.fromEntries(names.flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : [])));
}

export async function startEdge(options: EdgeOptions): Promise<EdgeProcess> {
  await prepareWebAssets();
  const dir = await mkdtemp(path.join(tmpdir(), 'edgeflix-edge-'));
  const envFile = path.join(dir, 'secrets.env');
  const quote = (v: string) => `'${v.replace(/'/g, '')}'`;
  await writeFile(
    envFile,
    Object.entries(options.secrets)
      .map(([k, v]) => `${k}=${quote(v)}`)
      .join('\n') + '\n',
    { mode: 0o600 },
  );
  const child = spawn(
    process.execPath,
    [
      path.join(root, 'node_modules/wrangler/bin/wrangler.js'),
      'dev',
      ...(options.config ? ['--config', options.config] : []),
      '--ip',
      '127.0.0.1',
      '--port',
      String(options.port),
      '--env-file',
      envFile,
      // Plain vars override wrangler.toml's [vars] only from the command line; secrets stay in the file.
      ...Object.entries({ ...sharedVars(), ...options.vars, ORIGIN_URL: options.originUrl }).flatMap(([k, v]) => [
        '--var',
        `${k}:${v}`,
      ]),
      '--show-interactive-dev-session=false',
      '--persist-to',
      options.persistTo,
    ],
    {
      cwd: root,
      stdio: options.logFile ? ['ignore', 'pipe', 'pipe'] : (options.stdio ?? 'inherit'),
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', ...options.processEnv },
    },
  );
  if (options.logFile) {
    const log = createWriteStream(options.logFile, { flags: 'a' });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    child.once('exit', () => log.end());
  }
  const url = `http://127.0.0.1:${options.port}`;
  const stop = async () => {
    // A child killed by a signal has a signalCode and no exitCode: it has exited all the same.
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForHealth(
      `${url}/healthz`,
      child,
      'edge (wrangler dev)',
      options.readyTimeoutMs ?? 120_000,
      options.healthAttemptTimeoutMs,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, child, stop };
}
