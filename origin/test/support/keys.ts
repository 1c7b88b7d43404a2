/** Throwaway signing keys and secrets for tests (never the dev or production ones). */
import { exportJWK, generateKeyPair, type JWK } from 'jose';

import { generateKek } from '../../../core/protection/key-wrap.ts';

export interface TestKeys {
  signingJwk: JWK & { kid: string };
  publicJwks: { keys: JWK[] };
  /** A key pair the edge does not trust, for "signed with another key" tests. */
  foreignSigningJwk: JWK & { kid: string };
  serviceSecret: string;
  /** The operator API key (OPERATOR_API_KEY). */
  operatorKey: string;
  /** The edge's SEGMENT_SIGNING_KEYS (JSON): two keys, as during a rotation, signing with `test-2`. */
  segmentSigningKeys: string;
  /** The origin's CONTENT_KEY_KEK (base64url), which the tests' packager wraps keys under too. */
  contentKeyKek: string;
}

async function es256(kid: string): Promise<{ priv: JWK & { kid: string }; pub: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const priv = { ...(await exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' };
  const pub = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  return { priv, pub };
}

export async function makeTestKeys(): Promise<TestKeys> {
  const trusted = await es256('test-key-1');
  const foreign = await es256('test-key-1');
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return {
    signingJwk: trusted.priv,
    publicJwks: { keys: [trusted.pub] },
    foreignSigningJwk: foreign.priv,
    serviceSecret: Buffer.from(bytes).toString('base64url'),
    operatorKey: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url'),
    contentKeyKek: generateKek(),
    segmentSigningKeys: JSON.stringify({
      current: 'test-2',
      keys: {
        'test-1': Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url'),
        'test-2': Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url'),
      },
    }),
  };
}
