import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { StackError } from './errors.ts';
import { ensureDir, paths, stackSourceDir } from './paths.ts';
import { isEnoent, lastLines, run } from './proc.ts';
import type { Log } from './types.ts';

const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.6.1:build-classpath';

// Two mvn processes writing the same ~/.m2 artifacts at once can corrupt them, and both
// poms share the dependency plugin's own jars: resolve one pom at a time.
let queue: Promise<unknown> = Promise.resolve();

/**
 * Returns the jar list for scripts/stack/maven/<name>/pom.xml, cached under .stack/classpath.
 * Re-resolves only when the pom changed or a cached jar vanished (e.g. ~/.m2 was wiped).
 */
export function resolveClasspath(name: string, log: Log, firstRunHint: string): Promise<string[]> {
  const job = queue.catch(() => undefined).then(() => resolveNow(name, log, firstRunHint));
  queue = job;
  return job;
}

async function resolveNow(name: string, log: Log, firstRunHint: string): Promise<string[]> {
  const pom = join(stackSourceDir, 'maven', name, 'pom.xml');
  const dir = ensureDir(paths.classpathDir());
  const cpFile = join(dir, `${name}.classpath`);
  const hashFile = join(dir, `${name}.pom.sha256`);
  const pomHash = createHash('sha256').update(readFileSync(pom)).digest('hex');

  const cached = readCached(cpFile, hashFile, pomHash);
  if (cached) return cached;

  log(`${name}: resolving classpath with Maven (${firstRunHint})…`);
  const started = Date.now();
  let result;
  try {
    result = await run(
      'mvn',
      [
        '-B',
        '-q',
        '-Dstyle.color=never',
        '-f',
        pom,
        DEPENDENCY_PLUGIN,
        `-Dmdep.outputFile=${cpFile}`,
        '-Dmdep.pathSeparator=:',
      ],
      {
        cwd: dir,
        onHeartbeat: (ms) => log(`${name}: still resolving classpath (${Math.round(ms / 1000)} s)`),
      },
    );
  } catch (err) {
    if (isEnoent(err)) {
      throw new StackError(`${name}: Maven (mvn) not found; install it (Debian: apt-get install -y maven)`);
    }
    throw err;
  }
  if (result.code !== 0 || !existsSync(cpFile)) {
    throw new StackError(
      `${name}: Maven could not resolve ${pom} (exit ${String(result.code)}). Last lines of mvn output:\n` +
        lastLines(result.output, 40),
    );
  }
  const jars = parse(readFileSync(cpFile, 'utf8'));
  const missing = jars.filter((j) => !existsSync(j));
  if (jars.length === 0 || missing.length > 0) {
    throw new StackError(`${name}: Maven reported a classpath with missing jars: ${missing.slice(0, 3).join(', ')}`);
  }
  writeFileSync(hashFile, `${pomHash}\n`);
  log(`${name}: classpath resolved, ${jars.length} jars (${Math.round((Date.now() - started) / 1000)} s)`);
  return jars;
}

function readCached(cpFile: string, hashFile: string, pomHash: string): string[] | undefined {
  try {
    if (readFileSync(hashFile, 'utf8').trim() !== pomHash) return undefined;
    const jars = parse(readFileSync(cpFile, 'utf8'));
    return jars.length > 0 && jars.every((j) => existsSync(j)) ? jars : undefined;
  } catch {
    return undefined;
  }
}

function parse(classpath: string): string[] {
  return classpath
    .trim()
    .split(':')
    .filter((entry) => entry.length > 0);
}

/** Finds one jar on a resolved classpath by artifact name, e.g. the jamm agent. */
export function findJar(jars: readonly string[], artifact: string): string | undefined {
  const pattern = new RegExp(`/${artifact}-[0-9][^/]*\\.jar$`);
  return jars.find((j) => pattern.test(j));
}
