import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

/**
 * End to end in a real browser: the web client, the edge under `wrangler dev` (as `npm start`
 * runs it), a real origin on the real stack, generated media in a local R2 bucket. Last, alone.
 */
export default defineProject({
  test: {
    name: 'e2e',
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['e2e/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['e2e/global-setup.ts'],
    testTimeout: 180_000,
    // Generating the test title's media (first run only; cached in .edgeflix/media) takes a while.
    hookTimeout: 600_000,
    maxWorkers: 1,
    fileParallelism: false,
    sequence: { groupOrder: 4 },
  },
});
