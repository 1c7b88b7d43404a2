/** Bindings only the tests have: keys to mint tokens the way the origin does (or must not). */
declare namespace Cloudflare {
  interface Env {
    TEST_SIGNING_JWK: string;
    TEST_FOREIGN_SIGNING_JWK: string;
  }
}
