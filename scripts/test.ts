/**
 * `npm test`: brings the real stack up (idempotent; reuses what is already up), then runs the
 * whole Vitest suite (origin on Node, edge in workerd) against it. Extra arguments go to Vitest.
 *
 * Vitest's own summary is drawn for a terminal; CI reads a plain closing line instead, so this
 * also writes Vitest's JSON report and ends with `tests: N passed, N failed, N skipped`, saved in
 * `.edgeflix/test-summary.txt` for `.ci/run` to repeat as its last line.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stackUp } from './stack/index.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const reportPath = path.join(root, '.edgeflix/test-report.json');
const summaryPath = path.join(root, '.edgeflix/test-summary.txt');

interface JsonReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
}

/** The plain closing line for a Vitest JSON report. */
export function summaryLine(report: JsonReport): string {
  const skipped = report.numPendingTests + report.numTodoTests;
  return `tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped`;
}

async function main(): Promise<number> {
  const started = Date.now();
  const env = await stackUp(undefined, (line) => process.stdout.write(`[stack] ${line}\n`));
  process.stdout.write(`[test] stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s; running vitest\n`);
  const vitest = path.join(root, 'node_modules/vitest/vitest.mjs');
  const args = process.argv.slice(2);
  const ownReporter = args.some((arg) => arg.startsWith('--reporter'));
  await mkdir(path.dirname(reportPath), { recursive: true });
  await rm(reportPath, { force: true });
  await rm(summaryPath, { force: true });
  const reporters = ownReporter ? [] : ['--reporter=default', '--reporter=json', `--outputFile.json=${reportPath}`];
  const child = spawn(process.execPath, [vitest, 'run', ...reporters, ...args], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  const code = await new Promise<number>((resolve) => child.on('exit', (exit) => resolve(exit ?? 1)));
  if (!ownReporter) {
    const report = await readFile(reportPath, 'utf8').then(
      (text) => JSON.parse(text) as JsonReport,
      () => null,
    );
    const line = report ? summaryLine(report) : 'tests: 0 passed, 1 failed (vitest wrote no report)';
    await writeFile(summaryPath, `${line}\n`);
    process.stdout.write(`${line}\n`);
    if (!report) return code === 0 ? 1 : code;
  }
  return code;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`[test] ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
