/**
 * Local development keys, made once per checkout under .edgeflix/ (git-ignored): the origin's
 * ES256 signing key, its public JWKS for the edge, and the edge→origin service secret.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';

export interface DevSecrets {
  signingJwk: JWK & { kid: string };
  publicJwks: { keys: JWK[] };
  serviceSecret: string;
}

export async function loadOrCreateDevSecrets(stateDir: string): Promise<DevSecrets> {
  const file = path.join(stateDir, 'dev-secrets.json');
  if (existsSync(file)) return JSON.parse(await readFile(file, 'utf8')) as DevSecrets;
  const kid = `dev-${new Date().toISOString().slice(0, 10)}`;
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const secrets: DevSecrets = {
    signingJwk: { ...(await exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' },
    publicJwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] },
    serviceSecret: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url'),
  };
  await mkdir(stateDir, { recursive: true });
  await writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
