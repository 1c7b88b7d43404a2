/**
 * Keeps the artwork URLs stored in the catalog in step with the renderer. A URL's fingerprint
 * covers ARTWORK_RENDERER_VERSION (core/artwork.ts), and the origin draws only URLs whose
 * fingerprint is the current one, so after a bump every URL a database stored before it would be
 * a 404. The migration step (`migratePostgres`) and the seed call `refreshArtworkUrls`: when the
 * version recorded in `artwork_renderer` (migrations/postgres/0015_artwork_renderer.sql) is older
 * than the code's, every stored URL is derived again from the same inputs as the seed's (title id,
 * kind, variant, the title's name, its genres or its series') and the version moves on, all in one
 * transaction, so a crash leaves the old URLs and the old version and the next start does it again.
 *
 * The recorded version is read `FOR UPDATE`: two origins starting at once take turns, and the
 * second finds the work done. A newer recorded version is left alone (an older origin in a rolling
 * deploy must not take the catalog back). URLs of another shape (not `/v1/artwork/<titleId>/…`)
 * were not drawn here and are kept.
 */
import type postgres from 'postgres';
import { ARTWORK_PATH_PREFIX, ARTWORK_RENDERER_VERSION, artworkUrl, type ArtworkKind } from '../../../core/artwork.ts';

/** Rows read and updated per statement: each statement stays well inside a statement timeout. */
const BATCH_ROWS = 2000;
const FIRST_UUID = '00000000-0000-0000-0000-000000000000';

export interface ArtworkRefresh {
  /** The version the stored URLs were at, and are at now (equal when there was nothing to do). */
  from: number;
  to: number;
  /** Rows whose URL changed. */
  updated: number;
}

interface StoredArtwork {
  id: string;
  title_id: string;
  kind: ArtworkKind;
  variant: string | null;
  url: string;
  name: string;
  genres: string[];
}

/** Brings every stored artwork URL to the current renderer version, once per bump. */
export async function refreshArtworkUrls(
  sql: postgres.Sql,
  options: { batchRows?: number } = {},
): Promise<ArtworkRefresh> {
  const batchRows = options.batchRows ?? BATCH_ROWS;
  return sql.begin(async (tx) => {
    const [row] = await tx<{ version: number }[]>`SELECT version FROM artwork_renderer FOR UPDATE`;
    if (!row) throw new Error('artwork_renderer has no row (migrations/postgres/0015_artwork_renderer.sql)');
    if (row.version >= ARTWORK_RENDERER_VERSION) return { from: row.version, to: row.version, updated: 0 };

    let updated = 0;
    let after = FIRST_UUID;
    for (;;) {
      const rows = await tx<StoredArtwork[]>`
        SELECT a.id, a.title_id, a.kind, a.variant, a.url, t.name,
               coalesce((SELECT array_agg(g.genre_id) FROM title_genres g
                         WHERE g.title_id = coalesce(t.series_id, t.id)), '{}') AS genres
        FROM artwork a JOIN titles t ON t.id = a.title_id
        WHERE a.id > ${after}::uuid
        ORDER BY a.id
        LIMIT ${batchRows}`;
      const changed = rows.flatMap((r) => {
        if (!r.url.startsWith(`${ARTWORK_PATH_PREFIX}${r.title_id}/`)) return [];
        const url = artworkUrl({
          titleId: r.title_id,
          kind: r.kind,
          variant: r.variant,
          name: r.name,
          genres: r.genres,
        });
        return url === r.url ? [] : [{ id: r.id, url }];
      });
      if (changed.length > 0) {
        const result = await tx`
          UPDATE artwork a SET url = v.url
          FROM unnest(${tx.array(changed.map((c) => c.id))}::uuid[], ${tx.array(changed.map((c) => c.url))}::text[])
            AS v(id, url)
          WHERE a.id = v.id`;
        updated += result.count;
      }
      if (rows.length < batchRows) break;
      after = rows.at(-1)!.id;
    }
    await tx`UPDATE artwork_renderer SET version = ${ARTWORK_RENDERER_VERSION}`;
    return { from: row.version, to: ARTWORK_RENDERER_VERSION, updated };
  });
}
