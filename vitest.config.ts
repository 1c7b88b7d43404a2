import { defineConfig } from 'vitest/config';

/**
 * Four projects, one after another: origin + shared code on Node, the edge inside workerd, fault
 * tests that stop real servers, then the browser end-to-end test.
 */
export default defineConfig({
  test: {
    projects: [
      'origin/vitest.config.ts',
      'workers/vitest.config.ts',
      'origin/vitest.faults.config.ts',
      'e2e/vitest.config.ts',
    ],
  },
});
