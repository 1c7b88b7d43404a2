import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

import { StackError } from './errors.ts';
import { ensureDir, paths } from './paths.ts';
import { isAlive, readPid, removeFile, sleep } from './proc.ts';
import type { Log } from './types.ts';

const inProcess = new Map<string, Promise<unknown>>();

/**
 * Serialises up/down of one service across processes (a test runner and a start script may
 * both call stackUp) so two servers are never spawned onto the same data directory.
 * A lock whose holder died is taken over.
 */
export async function withServiceLock<T>(name: string, log: Log, fn: () => Promise<T>): Promise<T> {
  const previous = inProcess.get(name) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(() => withFileLock(name, log, fn));
  inProcess.set(name, next);
  try {
    return await next;
  } finally {
    if (inProcess.get(name) === next) inProcess.delete(name);
  }
}

async function withFileLock<T>(name: string, log: Log, fn: () => Promise<T>): Promise<T> {
  const file = paths.lockFile(name);
  ensureDir(dirname(file));
  const started = Date.now();
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'EEXIST') throw err;
    }
    const holder = readPid(file);
    if (holder === undefined && !isOlderThan(file, 5_000)) {
      // Just created by someone who has not written their pid yet.
      await sleep(100);
      continue;
    }
    if (holder === undefined || holder === process.pid || !isAlive(holder)) {
      removeFile(file);
      continue;
    }
    if (!announced) {
      log(`${name}: waiting for another stack command (pid ${holder}) to finish`);
      announced = true;
    }
    if (Date.now() - started > 300_000) {
      throw new StackError(`${name}: lock ${file} held by pid ${holder} for over 5 minutes; stop that process first`);
    }
    await sleep(500);
  }
  try {
    return await fn();
  } finally {
    removeFile(file);
  }
}

function isOlderThan(file: string, ms: number): boolean {
  try {
    return Date.now() - statSync(file).mtimeMs > ms;
  } catch {
    return true;
  }
}
