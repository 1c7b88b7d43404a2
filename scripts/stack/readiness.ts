import { closeSync, openSync, readSync } from 'node:fs';

import { StackError } from './errors.ts';
import { portAnswers } from './net.ts';
import { isAlive, sleep, tailFile } from './proc.ts';
import type { Detached } from './proc.ts';
import type { Log } from './types.ts';

export interface ReadinessSpec {
  name: string;
  /** Short word for progress lines: "waiting for CQL (23 s)". */
  what: string;
  pid: number;
  /** Present when this process spawned the server: gives the exit code if it dies. */
  detached?: Detached;
  logFile: string;
  /** Log line fragment that means "initialised"; a listening port alone can be too early. */
  marker: string;
  port: number;
  /** Address of `port` (default 127.0.0.1). */
  host?: string;
  timeoutMs: number;
  log: Log;
  progressEveryMs?: number;
}

/** Reads a growing log incrementally so a long Cassandra startup log is not re-read each poll. */
class LogScanner {
  private offset = 0;
  private carry = '';
  constructor(
    private readonly file: string,
    private readonly marker: string,
  ) {}

  seen(): boolean {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      return false;
    }
    try {
      const buf = Buffer.alloc(64 * 1024);
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, this.offset);
        if (n <= 0) return false;
        this.offset += n;
        const text = this.carry + buf.toString('utf8', 0, n);
        if (text.includes(this.marker)) return true;
        // Keep enough of the tail that a marker split across reads is still found.
        this.carry = text.slice(-this.marker.length);
      }
    } finally {
      closeSync(fd);
    }
  }
}

export async function waitReady(spec: ReadinessSpec): Promise<void> {
  const started = Date.now();
  const every = spec.progressEveryMs ?? 10_000;
  let nextProgress = started + every;
  const scanner = new LogScanner(spec.logFile, spec.marker);
  let markerSeen = false;
  for (;;) {
    const exited = spec.detached?.exit;
    if (exited || !isAlive(spec.pid)) {
      const how = exited
        ? exited.signal
          ? `killed by ${exited.signal}`
          : `exit code ${String(exited.code)}`
        : 'process gone';
      throw new StackError(
        `${spec.name}: server exited during start (${how}). Last 30 lines of ${spec.logFile}:\n` +
          tailFile(spec.logFile, 30),
      );
    }
    markerSeen ||= scanner.seen();
    if (markerSeen && (await portAnswers(spec.port, spec.host))) return;
    const now = Date.now();
    if (now - started > spec.timeoutMs) {
      const missing = markerSeen ? `port ${spec.port} never accepted a connection` : `log never said "${spec.marker}"`;
      throw new StackError(
        `${spec.name}: not ready after ${Math.round(spec.timeoutMs / 1000)} s (${missing}). ` +
          `Last 30 lines of ${spec.logFile}:\n` +
          tailFile(spec.logFile, 30),
      );
    }
    if (now >= nextProgress) {
      spec.log(`${spec.name}: waiting for ${spec.what} (${Math.round((now - started) / 1000)} s)`);
      nextProgress += every;
    }
    await sleep(500);
  }
}
