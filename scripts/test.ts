/**
 * `npm test`: brings the real stack up (idempotent; reuses what is already up), then runs the
 * whole Vitest suite (origin on Node, edge in workerd) against it. Extra arguments go to Vitest.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stackUp } from './stack/index.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function main(): Promise<number> {
  const started = Date.now();
  const env = await stackUp(undefined, (line) => process.stdout.write(`[stack] ${line}\n`));
  process.stdout.write(`[test] stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s; running vitest\n`);
  const vitest = path.join(root, 'node_modules/vitest/vitest.mjs');
  const child = spawn(process.execPath, [vitest, 'run', ...process.argv.slice(2)], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`[test] ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
