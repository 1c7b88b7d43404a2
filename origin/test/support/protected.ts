/**
 * Protected fixture titles for the licence tests: the sample ladder under new ids, with one
 * content key per tier (audio, sd, hd, uhd) stored wrapped under the origin's KEK, as the media
 * script stores them. The clear keys are returned so tests can check what a licence hands out.
 */
import postgres from 'postgres';

import { fixtureId } from '../../../core/manifest/fixtures.ts';
import {
  generateContentKey,
  importKek,
  kidBytes,
  toBase64url,
  wrapContentKey,
} from '../../../core/protection/key-wrap.ts';
import { KEY_TIERS, type KeyTier } from '../../../core/protection/tiers.ts';
import { insertSource, shiftedSource } from './playback.ts';

export interface ProtectedTitle {
  titleId: string;
  /** Per tier: the key id (UUID), its base64url form (what Clear Key requests carry) and the key (base64url). */
  keys: Record<KeyTier, { kid: string; kidB64: string; k: string }>;
}

export interface ProtectedFixtures {
  /** Rated PG (level 20). */
  pg: ProtectedTitle;
  /** Rated R (level 40). */
  adult: ProtectedTitle;
}

export async function insertProtectedFixtures(databaseUrl: string, kekBase64url: string): Promise<ProtectedFixtures> {
  const kek = await importKek(kekBase64url);
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const make = async (titleId: string, offset: number, rating: string): Promise<ProtectedTitle> => {
      const keys = {} as ProtectedTitle['keys'];
      await sql.begin(async (tx) => {
        await insertSource(tx, shiftedSource(titleId, offset, rating));
        for (const tier of KEY_TIERS) {
          const kid = crypto.randomUUID();
          const key = generateContentKey();
          await tx`INSERT INTO content_keys (kid, title_id, tier, wrapped_key)
                   VALUES (${kid}, ${titleId}, ${tier}, ${await wrapContentKey(kek, key)})`;
          keys[tier] = { kid, kidB64: toBase64url(kidBytes(kid)), k: toBase64url(key) };
        }
      });
      return { titleId, keys };
    };
    return { pg: await make(fixtureId(0x4f00), 0x3000, 'PG'), adult: await make(fixtureId(0x5f00), 0x4000, 'R') };
  } finally {
    await sql.end();
  }
}
