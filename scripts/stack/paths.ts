import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** scripts/stack/ -> repo root; derived from this file so the scripts work from any cwd. */
const repoRoot = resolve(here, '..', '..');

/** Committed inputs: Maven poms and config templates. */
export const stackSourceDir = here;

/** Everything the stack writes lives under one git-ignored folder, so `rm -rf` resets it. */
export function stackDir(): string {
  const override = process.env['EDGEFLIX_STACK_DIR'];
  return override ? resolve(override) : join(repoRoot, '.stack');
}

export const paths = {
  runDir: () => join(stackDir(), 'run'),
  /** `name` may contain a slash (e.g. `cluster/cassandra-1`): its own sub-folder. */
  pidFile: (name: string) => join(stackDir(), 'run', `${name}.pid`),
  lockFile: (name: string) => join(stackDir(), 'run', `${name}.lock`),
  logDir: () => join(stackDir(), 'logs'),
  logFile: (name: string) => join(stackDir(), 'logs', `${name}.log`),
  classpathDir: () => join(stackDir(), 'classpath'),
  /** Per-service tmp: JNA and Netty unpack native libraries here, so it must allow exec. */
  tmpDir: (name: string) => join(stackDir(), 'tmp', name),
  serviceDir: (name: string) => join(stackDir(), name),
};

export function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}
