/**
 * The processes a chaos run starts and kills: the origin as a child process (as `npm start` runs
 * it), and the edge's `wrangler dev` with its workerd children. Kills are SIGKILL, by process id,
 * and only of processes this run started.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { waitForHealth } from '../edge-process.ts';
import { errorMessage } from '../stack/errors.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface OriginProcess {
  url: string;
  child: ChildProcess;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
}

/** Starts the origin on `port` with `env` over this process's environment; resolves once it answers /healthz. */
export async function startOrigin(env: Record<string, string>, port: number, logFile: string): Promise<OriginProcess> {
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'origin/src/main.ts')], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env, HOST: '127.0.0.1', PORT: String(port) },
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  child.once('exit', () => log.end());
  const url = `http://127.0.0.1:${port}`;
  const kill = () => killAndWait(child);
  try {
    await waitForHealth(`${url}/healthz`, child, 'origin', 180_000, 10_000);
  } catch (err) {
    await kill();
    const tail = (await readFile(logFile, 'utf8').catch(() => '')).trim().split('\n').slice(-15).join('\n');
    throw new Error(`${errorMessage(err)}; the end of ${logFile}:\n${tail}`);
  }
  return { url, child, kill };
}

/** SIGKILL one child and wait until it has exited. */
export async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/** The process ids below `pid` (children, grandchildren, …), from `ps`. */
export async function descendants(pid: number): Promise<number[]> {
  const { stdout } = await promisify(execFile)('ps', ['-e', '-o', 'pid=,ppid=']);
  const children = new Map<number, number[]>();
  for (const line of stdout.trim().split('\n')) {
    const [p, pp] = line.trim().split(/\s+/).map(Number);
    if (p === undefined || pp === undefined) continue;
    children.set(pp, [...(children.get(pp) ?? []), p]);
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/** SIGKILLs `child` and every process below it (wrangler dev and its workerd), deepest first. */
export async function killTree(child: ChildProcess): Promise<void> {
  if (child.pid === undefined) return;
  const below = await descendants(child.pid);
  for (const pid of below.reverse()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await killAndWait(child);
}
