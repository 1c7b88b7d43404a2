/**
 * The content keys of a protected title, kept in PostgreSQL (`content_keys`, migration 0012)
 * wrapped under the key-encryption key. Made at random the first time a title is packaged, then
 * reused, so cached encrypted files stay valid across runs. Clear keys live only in memory here.
 */
import type postgres from 'postgres';

import {
  generateContentKey,
  kidBytes,
  unwrapContentKey,
  wrapContentKey,
  type KeyEncryptionKey,
} from '../../core/protection/key-wrap.ts';
import type { KeyTier } from '../../core/protection/tiers.ts';
import type { ContentKey } from './cenc.ts';

export interface TitleKey extends ContentKey {
  /** The key id as the catalog and the MPD write it. */
  kidUuid: string;
  tier: KeyTier;
}

/** The title's keys for `tiers`: the stored ones unwrapped, the missing ones made and stored. */
export async function titleContentKeys(
  sql: postgres.Sql,
  titleId: string,
  tiers: readonly KeyTier[],
  kek: KeyEncryptionKey,
): Promise<Map<KeyTier, TitleKey>> {
  const keys = new Map<KeyTier, TitleKey>();
  await sql.begin(async (tx) => {
    // One packager at a time per title: two runs must not make two keys for one tier.
    await tx`SELECT pg_advisory_xact_lock(hashtext(${`content_keys:${titleId}`}))`;
    const rows = await tx<{ kid: string; tier: KeyTier; wrapped_key: Uint8Array }[]>`
      SELECT kid, tier, wrapped_key FROM content_keys WHERE title_id = ${titleId}`;
    for (const row of rows) {
      const key = await unwrapContentKey(kek, new Uint8Array(row.wrapped_key));
      keys.set(row.tier, { tier: row.tier, kidUuid: row.kid, kid: kidBytes(row.kid), key });
    }
    for (const tier of tiers) {
      if (keys.has(tier)) continue;
      const kidUuid = crypto.randomUUID();
      const key = generateContentKey();
      const wrapped = await wrapContentKey(kek, key);
      await tx`INSERT INTO content_keys (kid, title_id, tier, wrapped_key)
               VALUES (${kidUuid}, ${titleId}, ${tier}, ${Buffer.from(wrapped)})`;
      keys.set(tier, { tier, kidUuid, kid: kidBytes(kidUuid), key });
    }
  });
  return keys;
}
