import { StackError, errorMessage } from './errors.ts';
import { withServiceLock } from './lock.ts';
import { LOOPBACK, portAnswers } from './net.ts';
import { paths } from './paths.ts';
import { findOurs, isOurs, readPid, removeFile, sleep, spawnDetached, stopProcess, writePid } from './proc.ts';
import type { DetachedSpec } from './proc.ts';
import { waitReady } from './readiness.ts';
import type { Log, ServiceStatus, UpOutcome } from './types.ts';

export interface PortSpec {
  port: number;
  label: string;
  /** Loopback address the port is bound to; the server's `host` when absent. */
  host?: string;
}

/** A server this stack runs as a detached process with a pid file under .stack/run. */
export interface ManagedServer {
  /** Pid, lock and log file name; may contain a slash (e.g. `cluster/cassandra-1`). */
  name: string;
  /** Address the server listens on (default 127.0.0.1; a cluster node may use 127.0.0.2 etc.). */
  host?: string;
  /** The first port is the one clients use and the one readiness and status probe. */
  ports: readonly PortSpec[];
  /** Command-line fragments that identify our process (see proc.isOurs). */
  markers: readonly string[];
  readyMarker: string;
  /** Word for progress lines: "waiting for CQL (23 s)". */
  what: string;
  timeoutMs: number;
  stopSignal?: NodeJS.Signals;
  escalate?: readonly NodeJS.Signals[];
  /** Installs, resolves jars, writes config, initialises data; returns how to launch. */
  prepare(log: Log): Promise<Omit<DetachedSpec, 'logFile'>>;
  /** Idempotent set-up that needs the server answering (e.g. creating a database). */
  afterReady?(log: Log): Promise<void>;
}

function mainPort(server: ManagedServer): PortSpec {
  const port = server.ports[0];
  if (!port) throw new Error(`${server.name}: no ports configured`);
  return port;
}

const hostOf = (server: ManagedServer, spec?: PortSpec): string => spec?.host ?? server.host ?? LOOPBACK;

/** Our live server's pid: from the pid file, or found by command line if the file is gone. */
export function runningPid(server: ManagedServer): number | undefined {
  const fromFile = readPid(paths.pidFile(server.name));
  if (fromFile !== undefined && isOurs(fromFile, server.markers)) return fromFile;
  return findOurs(server.markers);
}

export function managedUp(server: ManagedServer, log: Log): Promise<UpOutcome> {
  return withServiceLock(server.name, log, async () => {
    const { name } = server;
    const main = mainPort(server);
    const logFile = paths.logFile(name);
    const pidFile = paths.pidFile(name);

    const existing = runningPid(server);
    if (existing !== undefined) {
      writePid(pidFile, existing);
      if (!(await portAnswers(main.port, hostOf(server, main)))) {
        // Left behind by an `up` that was interrupted while the server was still starting.
        log(`${name}: pid ${existing} is running but port ${main.port} is not answering yet; waiting`);
        await waitReady({
          name,
          what: main.label,
          pid: existing,
          logFile,
          marker: server.readyMarker,
          port: main.port,
          host: hostOf(server, main),
          timeoutMs: server.timeoutMs,
          log,
        });
      }
      await server.afterReady?.(log);
      log(`${name}: already up (pid ${existing}, ${hostOf(server, main)}:${main.port})`);
      return 'already up';
    }
    removeFile(pidFile);

    for (const spec of server.ports) {
      const { port, label } = spec;
      if (await portAnswers(port, hostOf(server, spec))) {
        throw new StackError(
          `${name}: port ${port} (${label}) on ${hostOf(server, spec)} is already in use by a process this stack did not start; ` +
            `stop that process or free port ${port}`,
        );
      }
    }

    const launch = await server.prepare(log);
    log(`${name}: starting`);
    const child = await spawnDetached({ ...launch, logFile });
    writePid(pidFile, child.pid);
    try {
      await waitReady({
        name,
        what: main.label,
        pid: child.pid,
        detached: child,
        logFile,
        marker: server.readyMarker,
        port: main.port,
        host: hostOf(server, main),
        timeoutMs: server.timeoutMs,
        log,
      });
      await server.afterReady?.(log);
    } catch (err) {
      // A half-started JVM would hold ~1 GiB and the ports; the log is kept for diagnosis.
      await stopProcess(child.pid, { signal: server.stopSignal ?? 'SIGTERM', graceMs: 10_000 }).catch(() => undefined);
      removeFile(pidFile);
      throw err instanceof StackError ? err : new StackError(`${name}: ${errorMessage(err)}`);
    }
    return 'started';
  });
}

/**
 * The kernel frees a server's listening sockets only when its last thread is gone, which can
 * trail the process's exit; `down` returns once every port is free so an `up` right after it
 * does not find them taken.
 */
export async function waitPortsReleased(server: ManagedServer, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const held: string[] = [];
    for (const spec of server.ports)
      if (await portAnswers(spec.port, hostOf(server, spec)))
        held.push(`${hostOf(server, spec)}:${spec.port} (${spec.label})`);
    if (held.length === 0) return;
    if (Date.now() > deadline) {
      throw new StackError(
        `${server.name}: stopped, but port(s) ${held.join(', ')} still answer after ${timeoutMs / 1000} s`,
      );
    }
    await sleep(200);
  }
}

export function managedDown(server: ManagedServer, log: Log): Promise<void> {
  return withServiceLock(server.name, log, async () => {
    const { name } = server;
    const pidFile = paths.pidFile(name);
    const pid = runningPid(server);
    if (pid === undefined) {
      removeFile(pidFile);
      log(`${name}: not running`);
      return;
    }
    const started = Date.now();
    log(`${name}: stopping pid ${pid}`);
    const how = await stopProcess(pid, {
      signal: server.stopSignal ?? 'SIGTERM',
      graceMs: 30_000,
      ...(server.escalate ? { escalate: server.escalate } : {}),
    });
    removeFile(pidFile);
    await waitPortsReleased(server);
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    log(how === 'stopped' ? `${name}: stopped (${secs} s)` : `${name}: did not stop in time, killed (${secs} s)`);
  });
}

export async function managedStatus(server: ManagedServer): Promise<ServiceStatus> {
  const main = mainPort(server);
  const pid = runningPid(server);
  const answers = await portAnswers(main.port, hostOf(server, main));
  const where = `${hostOf(server, main)}:${main.port}`;
  if (pid !== undefined && answers) return { up: true, detail: `${where} pid ${pid}` };
  if (pid !== undefined)
    return { up: false, detail: `${where} pid ${pid} running but port not answering (starting or stuck)` };
  if (answers) return { up: false, detail: `${where} in use by a process this stack did not start` };
  return { up: false, detail: `${where} not running` };
}
