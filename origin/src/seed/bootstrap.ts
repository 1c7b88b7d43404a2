import type postgres from 'postgres';
import type { Logger } from '../log.ts';
import { CATALOG_SIZES } from './catalog.ts';
import { seedDatabase } from './write.ts';

/** Seeds the demo catalog and accounts when the database has no accounts yet (first run). */
export async function seedIfEmpty(sql: postgres.Sql, log: Logger): Promise<void> {
  const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM accounts`;
  if ((row?.n ?? 0) > 0) return;
  log.info('seed_started', { titles: CATALOG_SIZES.demo });
  let lastPhase = '';
  const summary = await seedDatabase(sql, {
    titles: CATALOG_SIZES.demo,
    onProgress: (_done, _total, phase) => {
      if (phase !== lastPhase) log.info('seed_progress', { phase });
      lastPhase = phase;
    },
  });
  log.info('seed_finished', { summary });
}
