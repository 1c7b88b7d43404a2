import type postgres from 'postgres';
import type { Logger } from '../log.ts';
import { seedDatabase } from './write.ts';

/** Default catalog size for a first run of the embedded default. */
export const DEMO_TITLES = 300;

/** Seeds the demo catalog and accounts when the database has no accounts yet (first run). */
export async function seedIfEmpty(sql: postgres.Sql, log: Logger): Promise<void> {
  const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM accounts`;
  if ((row?.n ?? 0) > 0) return;
  log.info('seed_started', { titles: DEMO_TITLES });
  let lastPhase = '';
  const summary = await seedDatabase(sql, {
    titles: DEMO_TITLES,
    onProgress: (_done, _total, phase) => {
      if (phase !== lastPhase) log.info('seed_progress', { phase });
      lastPhase = phase;
    },
  });
  log.info('seed_finished', { summary });
}
