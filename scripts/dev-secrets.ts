/**
 * Local development keys, made once per checkout under .edgeflix/ (git-ignored): the origin's
 * ES256 signing key, its public JWKS for the edge, the edge→origin service secret, the operator
 * API key, the edge's segment-token key set and the content-key KEK (CONTENT_KEY_KEK).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';

import { generateKek } from '../core/protection/key-wrap.ts';

export interface DevSecrets {
  signingJwk: JWK & { kid: string };
  publicJwks: { keys: JWK[] };
  serviceSecret: string;
  operatorApiKey: string;
  /** The edge's SEGMENT_SIGNING_KEYS: `{"current":kid,"keys":{kid:secret}}` as JSON. */
  segmentSigningKeys: string;
  /** The origin's and media script's CONTENT_KEY_KEK: wraps content keys of protected titles. */
  contentKeyKek: string;
}

const randomKey = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
const segmentKeySet = () => {
  const kid = `dev-${new Date().toISOString().slice(0, 10)}`;
  return JSON.stringify({ current: kid, keys: { [kid]: randomKey() } });
};

/** Fields added after the first version of the file: made when an older file lacks them. */
const LATER_FIELDS = {
  operatorApiKey: randomKey,
  segmentSigningKeys: segmentKeySet,
  contentKeyKek: generateKek,
} satisfies { [K in keyof DevSecrets]?: () => DevSecrets[K] };

export async function loadOrCreateDevSecrets(stateDir: string): Promise<DevSecrets> {
  const file = path.join(stateDir, 'dev-secrets.json');
  if (existsSync(file)) {
    const existing = JSON.parse(await readFile(file, 'utf8')) as Partial<DevSecrets>;
    const missing = Object.entries(LATER_FIELDS).filter(([field]) => !existing[field as keyof DevSecrets]);
    if (missing.length === 0) return existing as DevSecrets;
    // Made before some of these existed: add what is missing, keep the rest.
    const upgraded = { ...existing, ...Object.fromEntries(missing.map(([field, make]) => [field, make()])) };
    await writeFile(file, JSON.stringify(upgraded, null, 2), { mode: 0o600 });
    return upgraded as DevSecrets;
  }
  const kid = `dev-${new Date().toISOString().slice(0, 10)}`;
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const secrets: DevSecrets = {
    signingJwk: { ...(await exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' },
    publicJwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] },
    serviceSecret: randomKey(),
    operatorApiKey: randomKey(),
    segmentSigningKeys: segmentKeySet(),
    contentKeyKek: generateKek(),
  };
  await mkdir(stateDir, { recursive: true });
  await writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
