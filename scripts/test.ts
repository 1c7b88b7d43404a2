/**
 * `npm test`: brings the real stack up (idempotent; reuses what is already up), then runs the
 * whole Vitest suite (origin on Node, edge in workerd) against it. Extra arguments go to Vitest.
 * With EDGEFLIX_CLUSTER=1 it brings up and uses the loopback cluster instead (docs/cluster.md).
 *
 * Vitest's own summary is drawn for a terminal and may be followed by other output; so this also
 * writes Vitest's JSON report and ends with the summary's two lines in Vitest's own words
 * (`Test Files  96 passed (96)`, `Tests  840 passed (840)`), saved in
 * `.edgeflix/test-summary.txt` for `.ci/run` to repeat as its last lines.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { clusterUp, stackUp } from './stack/index.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const reportPath = path.join(root, '.edgeflix/test-report.json');
const summaryPath = path.join(root, '.edgeflix/test-summary.txt');

interface JsonReport {
  /** One entry per test file. */
  testResults: { status: string }[];
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
}

function counts(failed: number, passed: number, skipped: number, total: number): string {
  const parts = [failed > 0 ? `${failed} failed` : '', passed > 0 || total === 0 ? `${passed} passed` : ''];
  if (skipped > 0) parts.push(`${skipped} skipped`);
  return `${parts.filter(Boolean).join(' | ')} (${total})`;
}

/** Vitest's closing summary lines, as its default reporter words them, for a JSON report. */
export function summaryLines(report: JsonReport): string {
  const files = report.testResults;
  const failedFiles = files.filter((file) => file.status === 'failed').length;
  const passedFiles = files.filter((file) => file.status === 'passed').length;
  const fileLine = counts(failedFiles, passedFiles, files.length - failedFiles - passedFiles, files.length);
  const skipped = report.numPendingTests + report.numTodoTests;
  const tests = counts(report.numFailedTests, report.numPassedTests, skipped, report.numTotalTests);
  return ` Test Files  ${fileLine}\n      Tests  ${tests}`;
}

async function main(): Promise<number> {
  const started = Date.now();
  const say = (line: string) => process.stdout.write(`[stack] ${line}\n`);
  // EDGEFLIX_CLUSTER=1: the loopback cluster (three Cassandra nodes, three brokers; docs/cluster.md).
  const cluster = Boolean(process.env['EDGEFLIX_CLUSTER']) && process.env['EDGEFLIX_CLUSTER'] !== '0';
  const env = cluster ? (await clusterUp(say)).env : await stackUp(undefined, say);
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
    const line = report ? summaryLines(report) : '      Tests  1 failed (1) (vitest wrote no report)';
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
