import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'origin',
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['core/**/*.test.ts', 'origin/**/*.test.ts', 'scripts/**/*.test.ts'],
    // Fault tests stop real servers: they run alone, after everything else (vitest.faults.config.ts).
    exclude: ['origin/test/faults/**', '**/node_modules/**'],
    environment: 'node',
    globalSetup: ['origin/test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Tests share one Cassandra node and one Kafka broker; two workers match the two cores.
    maxWorkers: 2,
    sequence: { groupOrder: 0 },
  },
});
