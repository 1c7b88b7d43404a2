/** Topic, table and migration-table names, in one place. */

import { PROGRESS_RETENTION_SECONDS } from '../../../core/progress.ts';

export const TOPICS = {
  viewingEvents: 'viewing-events',
  /** Which profile saw which experiment variant, keyed by profile (see consumers/exposures.ts). */
  experimentExposures: 'experiment-exposures',
} as const;

/** Consumer groups of the origin. */
export const CONSUMER_GROUPS = {
  completions: 'origin-completions',
  exposures: 'origin-exposures',
} as const;
export type Topic = (typeof TOPICS)[keyof typeof TOPICS];

export const PG_MIGRATIONS_TABLE = 'pgmigrations';
export const EMBEDDED_MIGRATIONS_TABLE = 'pgmigrations_embedded';
export const CASSANDRA_MIGRATIONS_TABLE = 'schema_migrations';

export const CASSANDRA_TABLES = {
  viewingProgress: 'viewing_progress',
  watchHistory: 'watch_history',
  continueWatchingHidden: 'continue_watching_hidden',
} as const;

/** Row lifetimes from the design: progress 90 days, history 1 year. */
export const TTL_SECONDS = {
  viewingProgress: PROGRESS_RETENTION_SECONDS,
  watchHistory: 365 * 24 * 3600,
} as const;
