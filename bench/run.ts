/**
 * `npm run bench`: brings up the real stack, runs every bench/*.bench.ts, prints one table of
 * ours-vs-ceiling throughput and writes the figures to bench/results/latest.json.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { clusterUp, stackUp } from '../scripts/stack/index.ts';
import type { BenchRow } from './harness.ts';

const here = path.dirname(fileURLToPath(import.meta.url));

async function main(): Promise<void> {
  const say = (line: string) => console.log(`[stack] ${line}`);
  // EDGEFLIX_CLUSTER=1: the three-node loopback cluster (docs/cluster.md) instead of the single node.
  const cluster = Boolean(process.env['EDGEFLIX_CLUSTER']) && process.env['EDGEFLIX_CLUSTER'] !== '0';
  Object.assign(process.env, cluster ? (await clusterUp(say)).env : await stackUp(undefined, say));
  const only = process.argv[2];
  const files = (await readdir(here)).filter((f) => f.endsWith('.bench.ts') && (!only || f.includes(only))).sort();
  const rows: BenchRow[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(path.join(here, file)).href)) as {
      default: (log: (l: string) => void) => Promise<BenchRow[]>;
    };
    rows.push(...(await mod.default((line) => console.log(`[bench] ${line}`))));
  }
  console.table(
    rows.map((r) => ({
      bench: r.bench,
      'ours ops/s': r.oursResult.opsPerSec,
      'ours p99 ms': r.oursResult.p99Ms,
      'ceiling ops/s': r.ceilingResult.opsPerSec,
      'ceiling p99 ms': r.ceilingResult.p99Ms,
      'ours/ceiling': r.ratio,
      quality: r.quality
        ? Object.entries(r.quality)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')
        : '',
    })),
  );
  const out = path.join(here, 'results', 'latest.json');
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(
    out,
    JSON.stringify(
      { at: new Date().toISOString(), machine: { cpus: os.cpus().length, node: process.version }, rows },
      null,
      2,
    ),
  );
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
