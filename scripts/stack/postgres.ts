import { chmodSync, chownSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { StackError } from './errors.ts';
import { managedDown, managedStatus, managedUp } from './managed.ts';
import type { ManagedServer } from './managed.ts';
import { LOOPBACK, portAnswers } from './net.ts';
import { ensureDir, paths } from './paths.ts';
import { isEnoent, lastLines, run } from './proc.ts';
import type { Log, Service, ServiceStatus } from './types.ts';

export const PG_USER = 'edgeflix';
export const PG_PASSWORD = 'edgeflix';
export const PG_DATABASE = 'edgeflix';

export function pgPort(): number {
  const raw = process.env['EDGEFLIX_PG_PORT'];
  if (raw === undefined || raw === '') return 54329;
  const port = Number(raw);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new StackError(`EDGEFLIX_PG_PORT must be a TCP port number, got "${raw}"`);
  }
  return port;
}

export function localDatabaseUrl(): string {
  return `postgres://${PG_USER}:${PG_PASSWORD}@${LOOPBACK}:${pgPort()}/${PG_DATABASE}`;
}

/**
 * A DATABASE_URL pointing anywhere else means "use that server, start nothing". Our own URL
 * does not count: callers often export what stackUp returned, and `down` must still stop it.
 */
function externalUrl(): string | undefined {
  const url = process.env['DATABASE_URL'];
  return url && url !== localDatabaseUrl() ? url : undefined;
}

const home = () => paths.serviceDir('postgres');
const dataDir = () => join(home(), 'data');
const socketDir = () => join(home(), 'sock');

/** Debian layout: /usr/lib/postgresql/<major>/bin; the newest major wins. */
function findBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  let majors: string[];
  try {
    majors = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb')));
  } catch {
    return undefined;
  }
  const newest = majors.sort((a, b) => Number(b) - Number(a))[0];
  return newest === undefined ? undefined : join(root, newest, 'bin');
}

const isRoot = () => process.getuid?.() === 0;

async function ensureInstalled(log: Log): Promise<string> {
  const found = findBinDir();
  if (found) return found;
  if (!isRoot()) {
    throw new StackError(
      'postgres: PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb). ' +
        'Install them (sudo apt-get install -y postgresql) or set DATABASE_URL to an existing server.',
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const heartbeat = { onHeartbeat: (ms: number) => log(`postgres: still installing (${Math.round(ms / 1000)} s)`) };
  log('postgres: PostgreSQL not installed; running apt-get update && apt-get install -y postgresql…');
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'postgresql']]) {
    let result;
    try {
      result = await run('apt-get', args, { env, ...heartbeat });
    } catch (err) {
      if (isEnoent(err))
        throw new StackError(
          'postgres: not installed and apt-get is not available; install PostgreSQL or set DATABASE_URL',
        );
      throw err;
    }
    if (result.code !== 0) {
      throw new StackError(
        `postgres: "apt-get ${args.join(' ')}" failed (exit ${String(result.code)}):\n${lastLines(result.output, 30)}`,
      );
    }
  }
  const installed = findBinDir();
  if (!installed)
    throw new StackError('postgres: apt-get installed postgresql but no /usr/lib/postgresql/*/bin/initdb appeared');
  log(`postgres: installed (${installed})`);
  return installed;
}

interface OsUser {
  uid: number;
  gid: number;
}

/** PostgreSQL refuses to run as root, so as root the server runs as the `postgres` OS user. */
function serverUser(): OsUser | undefined {
  if (!isRoot()) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) {
    throw new StackError(
      'postgres: running as root but there is no "postgres" OS user to run the server as (apt-get install postgresql creates it)',
    );
  }
  return { uid: Number(uid), gid: Number(gid) };
}

/** Directories the server user must be able to enter, from / down to `dir`. */
function grantTraversal(dir: string, log: Log): void {
  const chain: string[] = [];
  for (let d = dirname(dir); d !== dirname(d); d = dirname(d)) chain.unshift(d);
  for (const d of chain) {
    const mode = statSync(d).mode;
    if ((mode & 0o001) === 0) {
      chmodSync(d, (mode & 0o7777) | 0o001);
      log(`postgres: added o+x to ${d} so the postgres user can reach its data directory`);
    }
  }
}

function prepareDirs(user: OsUser | undefined, log: Log): void {
  for (const d of [home(), socketDir()]) {
    ensureDir(d);
    if (user) chownSync(d, user.uid, user.gid);
  }
  chmodSync(home(), 0o700);
  if (user) grantTraversal(home(), log);
}

async function initdbOnce(bin: string, user: OsUser | undefined, log: Log): Promise<void> {
  if (existsSync(join(dataDir(), 'PG_VERSION'))) return;
  // A data dir without PG_VERSION is the remains of an interrupted initdb: nothing to keep.
  rmSync(dataDir(), { recursive: true, force: true });
  log('postgres: initdb (first start)');
  const pwfile = join(home(), 'initdb.pw');
  writeFileSync(pwfile, `${PG_PASSWORD}\n`, { mode: 0o600 });
  if (user) chownSync(pwfile, user.uid, user.gid);
  try {
    const result = await run(
      join(bin, 'initdb'),
      [
        '-D',
        dataDir(),
        // The bootstrap superuser is the app's role, so it can CREATE DATABASE for tests.
        '-U',
        PG_USER,
        `--pwfile=${pwfile}`,
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        '-E',
        'UTF8',
        '--locale=C',
      ],
      { cwd: home(), ...(user ?? {}) },
    );
    if (result.code !== 0) {
      throw new StackError(`postgres: initdb failed (exit ${String(result.code)}):\n${lastLines(result.output, 30)}`);
    }
  } finally {
    rmSync(pwfile, { force: true });
  }
}

let binDir: string | undefined;

const server: ManagedServer = {
  name: 'postgres',
  get ports() {
    return [{ port: pgPort(), label: 'SQL' }];
  },
  get markers() {
    return [`-D ${dataDir()} `];
  },
  readyMarker: 'database system is ready to accept connections',
  what: 'connections',
  timeoutMs: 30_000,
  // SIGTERM is "smart" shutdown, which waits for every client (e.g. a test pool) to
  // disconnect; SIGINT is "fast" (rolls back and disconnects), SIGQUIT is "immediate".
  stopSignal: 'SIGINT',
  escalate: ['SIGQUIT', 'SIGKILL'],
  async prepare(log) {
    const bin = await ensureInstalled(log);
    binDir = bin;
    const user = serverUser();
    prepareDirs(user, log);
    await initdbOnce(bin, user, log);
    return {
      command: join(bin, 'postgres'),
      args: [
        '-D',
        dataDir(),
        '-c',
        `listen_addresses=${LOOPBACK}`,
        '-c',
        `port=${pgPort()}`,
        '-c',
        `unix_socket_directories=${socketDir()}`,
        '-c',
        'logging_collector=off',
      ],
      cwd: home(),
      ...(user ?? {}),
    };
  },
  async afterReady(log) {
    const bin = binDir ?? findBinDir();
    if (!bin) return;
    const user = serverUser();
    const psql = (sql: string) =>
      run(
        join(bin, 'psql'),
        ['-X', '-q', '-t', '-A', '-h', socketDir(), '-p', String(pgPort()), '-U', PG_USER, '-d', 'postgres', '-c', sql],
        {
          cwd: home(),
          ...(user ?? {}),
        },
      );
    const exists = await psql(`SELECT 1 FROM pg_database WHERE datname = '${PG_DATABASE}'`);
    if (exists.code !== 0) throw new StackError(`postgres: psql check failed:\n${lastLines(exists.output, 20)}`);
    if (exists.output.trim() === '1') return;
    log(`postgres: creating database ${PG_DATABASE}`);
    const created = await psql(`CREATE DATABASE ${PG_DATABASE}`);
    if (created.code !== 0) throw new StackError(`postgres: CREATE DATABASE failed:\n${lastLines(created.output, 20)}`);
  },
};

function describe(url: string): { host: string; port: number } {
  try {
    const parsed = new URL(url);
    return { host: parsed.hostname || LOOPBACK, port: parsed.port ? Number(parsed.port) : 5432 };
  } catch {
    throw new StackError('postgres: DATABASE_URL is not a valid URL');
  }
}

async function checkExternal(url: string, log: Log): Promise<void> {
  const { host, port } = describe(url);
  if (!(await portAnswers(port, host, 3_000))) {
    throw new StackError(
      `postgres: DATABASE_URL is set but nothing answers on ${host}:${port}; start that server or unset DATABASE_URL`,
    );
  }
  const bin = findBinDir();
  const pgIsReady = bin ? join(bin, 'pg_isready') : 'pg_isready';
  try {
    const result = await run(pgIsReady, ['-d', url, '-t', '5']);
    if (result.code !== 0) {
      throw new StackError(`postgres: DATABASE_URL server at ${host}:${port} is not ready: ${result.output.trim()}`);
    }
  } catch (err) {
    // pg_isready is optional: without it the TCP check above is all we can do.
    if (!isEnoent(err)) throw err;
  }
  log(`postgres: using DATABASE_URL (${host}:${port}), nothing started`);
}

export const postgres: Service = {
  name: 'postgres',
  async up(log) {
    const external = externalUrl();
    if (external) {
      await checkExternal(external, log);
      return 'external';
    }
    return managedUp(server, log);
  },
  async down(log) {
    if (externalUrl()) {
      log('postgres: DATABASE_URL points at a server this stack does not manage; left alone');
      return;
    }
    await managedDown(server, log);
  },
  async status(): Promise<ServiceStatus> {
    const external = externalUrl();
    if (!external) return managedStatus(server);
    const { host, port } = describe(external);
    const up = await portAnswers(port, host, 3_000);
    return { up, detail: `external DATABASE_URL ${host}:${port} ${up ? 'answering' : 'not answering'}` };
  },
};
