import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineProject } from 'vitest/config';

/**
 * Edge tests run inside workerd (the Workers runtime) against a real origin on the real stack,
 * started by the global setup; its address and the test keys reach the worker as bindings. The
 * worker's ORIGIN_URL is the global setup's chaos proxy (pass-through until a test arms a failure).
 */
export default defineProject({
  plugins: [
    cloudflareTest(({ inject }) => {
      const edge = inject('edge');
      return {
        main: './edge/src/index.ts',
        wrangler: { configPath: '../wrangler.toml' },
        miniflare: {
          bindings: {
            ORIGIN_URL: edge.originUrl,
            AUTH_PUBLIC_JWKS: edge.publicJwks,
            SERVICE_TOKEN_SECRET: edge.serviceSecret,
            TEST_SIGNING_JWK: edge.signingJwk,
            TEST_FOREIGN_SIGNING_JWK: edge.foreignSigningJwk,
            TEST_ORIGIN_URL: edge.directOriginUrl,
            TEST_CHAOS_URL: edge.chaosControlUrl,
            TEST_OPERATOR_KEY: edge.operatorKey,
            TEST_TITLES: edge.titles,
            SEGMENT_SIGNING_KEYS: edge.segmentKeys,
            // Request lines would drown the test output; warnings and errors still show.
            LOG_LEVEL: 'warn',
            TEST_PLAYBACK: edge.playback,
            TEST_PROTECTED: edge.protectedPlayback,
            // Generous: the suites sign in and browse far more than a person would. The rate-limit
            // tests apply their own low limits (workers/edge/test/rate-limit.test.ts).
            RATE_LIMITS: JSON.stringify({
              tiers: Object.fromEntries(
                ['browse', 'playbackStart', 'progressUpdate', 'search', 'auth'].map((t) => [t, { limit: 1_000_000 }]),
              ),
            }),
          },
        },
      };
    }),
  ],
  test: {
    name: 'edge',
    // Each package's `test/` folder; the pure tests beside the code (`<package>/src/*.test.ts`) need
    // no workerd and run in the unit project (vitest.unit.config.ts).
    include: ['**/test/**/*.test.ts'],
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // After the origin project: the two never compete for the two cores.
    sequence: { groupOrder: 2 },
  },
});
