import { configDefaults, defineProject } from 'vitest/config';

/**
 * Unit tests: every `*.test.ts` beside its code, that is outside any `test/` folder (`core/`,
 * `origin/src/`, `workers/<package>/src/`, `scripts/`, `docs/`). They need no server and no global
 * setup, so `npm run test:unit` runs them alone in seconds. Tests in a `test/` folder run against
 * the real stack (the origin, edge and faults projects), and `e2e/` in a browser: those projects
 * include only those folders, so every test file belongs to exactly one project.
 */
export default defineProject({
  test: {
    name: 'unit',
    include: ['**/*.test.ts'],
    exclude: [...configDefaults.exclude, '**/test/**', 'e2e/**', '.stack/**', '.edgeflix/**', '.wrangler/**'],
    environment: 'node',
    // A guard against hangs, not a budget: on a shared 2-core machine under load the seed catalog's
    // checks and the embedded PGlite take over 30 s (a few seconds when the machine is idle).
    testTimeout: 120_000,
    // Nothing else runs beside it (no servers to share the cores with): every core, where Vitest
    // would leave one free (one worker on two cores).
    maxWorkers: '100%',
    // First in `npm test`, so a broken rule fails in seconds, before the slow stack projects.
    sequence: { groupOrder: 0 },
  },
});
