/** What the edge benchmarks share: the edge's secrets for a test origin, and profile tokens. */
import { randomUUID } from 'node:crypto';
import { importUserTokenSigner, signUserToken } from '../core/tokens.ts';
import type { TestKeys } from '../origin/test/support/keys.ts';
import { TEST_TOKEN_SETTINGS } from '../origin/test/support/origin.ts';
import type { EdgeOptions } from '../scripts/edge-process.ts';

/** The secrets an edge needs to trust a test origin's tokens and sign segments. */
export function edgeSecrets(keys: TestKeys): EdgeOptions['secrets'] {
  return {
    AUTH_PUBLIC_JWKS: JSON.stringify(keys.publicJwks),
    SERVICE_TOKEN_SECRET: keys.serviceSecret,
    SEGMENT_SIGNING_KEYS: keys.segmentSigningKeys,
  };
}

/** Profile tokens (adult, premium) for `count` fresh profiles of as many accounts. */
export async function profileTokens(keys: TestKeys, count: number): Promise<{ pid: string; token: string }[]> {
  const signer = await importUserTokenSigner(keys.signingJwk);
  return Promise.all(
    Array.from({ length: count }, async () => {
      const pid = randomUUID();
      const { token } = await signUserToken(
        { sub: randomUUID(), scope: 'profile', pid, mat: 50, plan: 'premium', since: 1 },
        signer,
        TEST_TOKEN_SETTINGS,
      );
      return { pid, token };
    }),
  );
}
