import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

import { ensureDir } from './paths.ts';

export interface RunResult {
  code: number | null;
  output: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
  /** Called every `heartbeatMs` while the command runs, for long downloads. */
  onHeartbeat?: (elapsedMs: number) => void;
  heartbeatMs?: number;
}

/** Runs a command to completion, capturing stdout+stderr interleaved (for error tails). */
export function run(command: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const started = Date.now();
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
      ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    const timer = opts.onHeartbeat
      ? setInterval(() => opts.onHeartbeat?.(Date.now() - started), opts.heartbeatMs ?? 15_000)
      : undefined;
    child.on('error', (err) => {
      if (timer) clearInterval(timer);
      reject(err);
    });
    child.on('close', (code) => {
      if (timer) clearInterval(timer);
      resolvePromise({ code, output: Buffer.concat(chunks).toString('utf8') });
    });
  });
}

export function isEnoent(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ENOENT';
}

export function lastLines(text: string, count: number): string {
  const lines = text.replace(/\s+$/, '').split('\n');
  return lines.slice(-count).join('\n');
}

export function tailFile(file: string, count = 30): string {
  try {
    return lastLines(readFileSync(file, 'utf8'), count);
  } catch {
    return '(no log written)';
  }
}

export interface DetachedSpec {
  command: string;
  args: readonly string[];
  logFile: string;
  cwd: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
}

export interface Detached {
  pid: number;
  child: ChildProcess;
  /** Set once the process has exited while this Node process was still watching it. */
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

/**
 * Starts a server that must outlive this CLI: its own session (so Ctrl-C here does not reach
 * it), output straight into a log file, and unref'd so Node can exit while it runs.
 * The previous log is kept as *.prev.log, so readiness markers are only searched in this run's.
 */
export async function spawnDetached(spec: DetachedSpec): Promise<Detached> {
  ensureDir(dirname(spec.logFile));
  if (existsSync(spec.logFile)) renameSync(spec.logFile, spec.logFile.replace(/\.log$/, '.prev.log'));
  const fd = openSync(spec.logFile, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
      ...(spec.uid !== undefined ? { uid: spec.uid } : {}),
      ...(spec.gid !== undefined ? { gid: spec.gid } : {}),
    });
    await new Promise<void>((resolvePromise, reject) => {
      child.once('spawn', () => resolvePromise());
      child.once('error', reject);
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start ${spec.command}`);
    const detached: Detached = { pid, child, exit: undefined };
    child.once('exit', (code, signal) => {
      detached.exit = { code, signal };
    });
    child.unref();
    return detached;
  } finally {
    closeSync(fd);
  }
}

/**
 * True while the process exists and is not a zombie. The zombie check matters: once this CLI
 * has exited, servers are re-parented to an init that may never reap them, and kill(pid, 0)
 * keeps succeeding for a zombie.
 */
/** Threads of `pid` other than a zombie leader (0 when procfs cannot tell). */
function liveThreads(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/task`).filter((tid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
        return state !== 'Z' && state !== 'X';
      } catch {
        return false;
      }
    }).length;
  } catch {
    return 0;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as { code?: unknown }).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'X') return false;
    // A JVM's main thread can exit (zombie leader) while its other threads are still
    // shutting down and holding the sockets: alive until the last thread is gone.
    if (state === 'Z') return liveThreads(pid) > 0;
    return true;
  } catch {
    // No procfs (macOS): kill(0) is all we have.
    return existsSync('/proc') ? false : true;
  }
}

function cmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return undefined;
  }
}

/**
 * Our servers are recognised by strings in their command line (main class + a config path
 * under the stack dir), so a recycled pid or a foreign server on the same port is never
 * mistaken for ours.
 */
export function isOurs(pid: number, markers: readonly string[]): boolean {
  if (!isAlive(pid)) return false;
  const cmd = cmdline(pid);
  if (cmd === undefined) return !existsSync('/proc');
  return markers.every((m) => cmd.includes(m));
}

/** Finds a live server of ours even when its pid file is gone (e.g. deleted by hand). */
export function findOurs(markers: readonly string[]): number | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    if (isOurs(pid, markers)) return pid;
  }
  return undefined;
}

export function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function writePid(file: string, pid: number): void {
  ensureDir(dirname(file));
  writeFileSync(file, `${pid}\n`);
}

export function removeFile(file: string): void {
  rmSync(file, { force: true });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Graceful stop: `signal` first, then after `graceMs` escalate through `escalate`
 * (SIGKILL by default). Resolves once the process is gone.
 */
export async function stopProcess(
  pid: number,
  opts: { signal?: NodeJS.Signals; graceMs?: number; escalate?: readonly NodeJS.Signals[] } = {},
): Promise<'stopped' | 'killed'> {
  const signals: NodeJS.Signals[] = [opts.signal ?? 'SIGTERM', ...(opts.escalate ?? ['SIGKILL'])];
  const graceMs = opts.graceMs ?? 30_000;
  for (const [i, signal] of signals.entries()) {
    try {
      process.kill(pid, signal);
    } catch {
      return i === 0 ? 'stopped' : 'killed';
    }
    const deadline = Date.now() + (signal === 'SIGKILL' ? 10_000 : graceMs);
    while (Date.now() < deadline) {
      if (!isAlive(pid)) return i === 0 ? 'stopped' : 'killed';
      await sleep(200);
    }
  }
  return 'killed';
}
