/**
 * CPU time of the processes a benchmark drives, read from /proc (Linux), so a throughput can be
 * turned into a per-core figure: units per CPU-second of the process that did the work. The load
 * generator's own CPU never counts against the server it measures.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

interface ProcStat {
  pid: number;
  ppid: number;
  /** user + system time, in seconds */
  cpuSeconds: number;
}

/** Parses /proc/<pid>/stat; the command name (field 2) may hold spaces and parentheses. */
export function parseStat(pid: number, text: string): ProcStat {
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // After the name: state(3) ppid(4) … utime(14) stime(15), so index = field number - 3.
  const ppid = Number(fields[1]);
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { pid, ppid, cpuSeconds: ticks / TICKS_PER_SECOND };
}

function allStats(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      stats.push(parseStat(Number(entry), readFileSync(`/proc/${entry}/stat`, 'utf8')));
    } catch {
      // The process ended while we looked.
    }
  }
  return stats;
}

/** CPU seconds used so far by `pid` and every process below it (wrangler → workerd, say). */
export function treeCpuSeconds(pid: number): number {
  const stats = allStats();
  const children = new Map<number, ProcStat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  let total = 0;
  const todo = stats.filter((s) => s.pid === pid);
  while (todo.length > 0) {
    const s = todo.pop()!;
    total += s.cpuSeconds;
    todo.push(...(children.get(s.pid) ?? []));
  }
  return total;
}

/** The pid of the process listening on host:port (IPv4, from /proc/net/tcp and the fd tables). */
export function pidListeningOn(host: string, port: number): number | undefined {
  const wanted = `${host
    .split('.')
    .reverse()
    .map((octet) => Number(octet).toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase()}:${port.toString(16).padStart(4, '0').toUpperCase()}`;
  const inodes = new Set<string>();
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    // local address, state 0A = LISTEN, inode
    if (cols[1] === wanted && cols[3] === '0A' && cols[9]) inodes.add(cols[9]);
  }
  if (inodes.size === 0) return undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${entry}/fd/${fd}`);
        if (target.startsWith('socket:[') && inodes.has(target.slice(8, -1))) return Number(entry);
      } catch {
        // fd closed meanwhile
      }
    }
  }
  return undefined;
}

/** CPU seconds a set of process trees spends while `work` runs. */
export async function cpuDuring<T>(
  pids: number[],
  work: () => Promise<T>,
): Promise<{ result: T; cpuSeconds: number; wallSeconds: number }> {
  const before = pids.reduce((sum, pid) => sum + treeCpuSeconds(pid), 0);
  const started = performance.now();
  const result = await work();
  const wallSeconds = (performance.now() - started) / 1000;
  const after = pids.reduce((sum, pid) => sum + treeCpuSeconds(pid), 0);
  return { result, cpuSeconds: after - before, wallSeconds };
}

/** CPU seconds this Node process spends while `work` runs (user + system). */
export async function ownCpuDuring<T>(work: () => Promise<T>): Promise<{ result: T; cpuSeconds: number }> {
  const before = process.cpuUsage();
  const result = await work();
  const used = process.cpuUsage(before);
  return { result, cpuSeconds: (used.user + used.system) / 1e6 };
}
