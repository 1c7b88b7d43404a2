import { defineConfig } from 'vitest/config';

/** Three projects: origin + shared code on Node, the edge inside workerd, then fault tests that stop real servers. */
export default defineConfig({
  test: {
    projects: ['origin/vitest.config.ts', 'workers/vitest.config.ts', 'origin/vitest.faults.config.ts'],
  },
});
