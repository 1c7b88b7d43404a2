import { defineConfig } from 'vitest/config';

/** Two projects: origin + shared code on Node, the edge inside workerd. */
export default defineConfig({
  test: {
    projects: ['origin/vitest.config.ts', 'workers/vitest.config.ts'],
  },
});
