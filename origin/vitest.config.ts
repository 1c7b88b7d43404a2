import { fileURLToPath } from 'node:url';
import { configDefaults, defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'origin',
    root: fileURLToPath(new URL('..', import.meta.url)),
    // Tests in a `test/` folder need the real stack; those beside their code are the unit project's
    // (vitest.unit.config.ts), the edge's run in workerd (workers/vitest.config.ts).
    include: ['**/test/**/*.test.ts'],
    // Fault tests stop real servers: they run alone, after everything else (vitest.faults.config.ts).
    exclude: [...configDefaults.exclude, 'origin/test/faults/**', 'workers/**', 'e2e/**', '.stack/**', '.edgeflix/**'],
    environment: 'node',
    globalSetup: ['origin/test/global-setup.ts'],
    // On the loopback cluster (EDGEFLIX_CLUSTER=1) a schema change waits for three nodes to agree.
    testTimeout: process.env['EDGEFLIX_CLUSTER'] && process.env['EDGEFLIX_CLUSTER'] !== '0' ? 90_000 : 30_000,
    hookTimeout: 120_000,
    // Tests share one Cassandra node and one Kafka broker; two workers match the two cores.
    maxWorkers: 2,
    sequence: { groupOrder: 1 },
  },
});
