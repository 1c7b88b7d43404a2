/** The content keys of protected titles (migration 0012), still wrapped: the route unwraps them. */
import type postgres from 'postgres';

import type { KeyTier } from '../../../core/protection/tiers.ts';
import type { ContentKeyStore, WrappedContentKey } from './types.ts';

export function postgresContentKeyStore(sql: postgres.Sql): ContentKeyStore {
  return {
    async lookup(kids: readonly string[]): Promise<WrappedContentKey[]> {
      if (kids.length === 0) return [];
      const rows = await sql<
        { kid: string; title_id: string; tier: KeyTier; wrapped_key: Uint8Array; level: number }[]
      >`
        SELECT k.kid, k.title_id, k.tier, k.wrapped_key, r.level
        FROM content_keys k
        JOIN titles t ON t.id = k.title_id
        JOIN maturity_ratings r ON r.code = t.maturity_rating
        WHERE k.kid = ANY(${[...kids]}::uuid[])`;
      return rows.map((r) => ({
        kid: r.kid,
        titleId: r.title_id,
        titleMaturityLevel: r.level,
        tier: r.tier,
        wrappedKey: new Uint8Array(r.wrapped_key),
      }));
    },
  };
}
