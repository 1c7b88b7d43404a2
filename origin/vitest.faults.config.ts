import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

/**
 * Fault tests really stop and restart Cassandra and Kafka, so they run last (after the origin
 * and edge projects), one file at a time, and leave the stack up again.
 */
export default defineProject({
  test: {
    name: 'faults',
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['origin/test/faults/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['origin/test/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 240_000,
    maxWorkers: 1,
    fileParallelism: false,
    sequence: { groupOrder: 3 },
  },
});
