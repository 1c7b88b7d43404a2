import { join } from 'node:path';

import { StackError } from './errors.ts';
import { isEnoent, run } from './proc.ts';
import type { Log } from './types.ts';

export interface Java {
  bin: string;
  major: number;
  version: string;
}

let checked: Promise<Java> | undefined;

/** JAVA_HOME wins over PATH, like the upstream launch scripts. */
function javaBin(): string {
  const home = process.env['JAVA_HOME'];
  return home ? join(home, 'bin', 'java') : 'java';
}

/** Checked once per process: Cassandra and Kafka start in parallel and both need it. */
export function requireJava(log: Log): Promise<Java> {
  checked ??= probeJava(log);
  return checked;
}

async function probeJava(log: Log): Promise<Java> {
  const bin = javaBin();
  const hint = 'install a JDK 17 (Debian: apt-get install -y openjdk-17-jdk-headless) or set JAVA_HOME';
  let result;
  try {
    result = await run(bin, ['-version']);
  } catch (err) {
    if (isEnoent(err)) throw new StackError(`java not found (${bin}): ${hint}`);
    throw err;
  }
  if (result.code !== 0) {
    throw new StackError(`"${bin} -version" failed (exit ${String(result.code)}): ${hint}\n${result.output.trim()}`);
  }
  const version = /version "([^"]+)"/.exec(result.output)?.[1] ?? 'unknown';
  const first = Number.parseInt(version, 10);
  // "1.8.0_x" style versions report the major after the "1.".
  const major = first === 1 ? Number.parseInt(version.split('.')[1] ?? '0', 10) : first;
  if (!Number.isFinite(major) || major < 17) {
    throw new StackError(`java ${version} found at ${bin}, but the stack's JVM flags need JDK 17: ${hint}`);
  }
  if (major > 17) {
    log(`java: ${version} found; Cassandra 5.0 is only supported on JDK 11/17, expect trouble`);
  }
  return { bin, major, version };
}
