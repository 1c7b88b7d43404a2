/** Bindings only the tests have: keys to mint tokens the way the origin does (or must not), and fixtures. */
declare namespace Cloudflare {
  interface Env {
    TEST_SIGNING_JWK: string;
    TEST_FOREIGN_SIGNING_JWK: string;
    /** The origin itself, bypassing the chaos proxy that ORIGIN_URL points at. */
    TEST_ORIGIN_URL: string;
    /** The chaos proxy's control endpoint (see workers/test/chaos-proxy.ts). */
    TEST_CHAOS_URL: string;
    /** The origin's operator API key (experiments are set up through it, on TEST_ORIGIN_URL). */
    TEST_OPERATOR_KEY: string;
    /** JSON: the seeded titles `{id, type, seriesId, durationSeconds, maturityLevel}[]`. */
    TEST_TITLES: string;
    /** JSON: the playable fixture titles (origin/test/support/playback.ts). */
    TEST_PLAYBACK: string;
    /** JSON: the protected fixture titles and their clear keys (origin/test/support/protected.ts). */
    TEST_PROTECTED: string;
  }
}
