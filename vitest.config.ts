import { defineConfig } from 'vitest/config';

/**
 * Five projects, one after another: unit tests of pure code (no servers), the origin on Node
 * against the real stack, the edge inside workerd, fault tests that stop real servers, then the
 * browser end-to-end test. docs/testing.md says which test goes where.
 */
export default defineConfig({
  test: {
    projects: [
      'vitest.unit.config.ts',
      'origin/vitest.config.ts',
      'workers/vitest.config.ts',
      'origin/vitest.faults.config.ts',
      'e2e/vitest.config.ts',
    ],
  },
});
