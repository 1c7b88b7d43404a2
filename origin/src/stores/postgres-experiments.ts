import type postgres from 'postgres';
import type { Experiment, ExperimentStatus } from '../../../core/experiments/schema.ts';
import type { ExperimentStore, VariantCounts } from './types.ts';

interface Row {
  id: string;
  name: string;
  description: string;
  status: ExperimentStatus;
  layer: string | null;
  layer_start: number;
  allocation: string;
  variants: Experiment['variants'];
  target_groups: Experiment['targetGroups'];
  metrics: string[];
  start_date: Date | null;
  end_date: Date | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

const toExperiment = (r: Row): Experiment => ({
  id: r.id,
  name: r.name,
  description: r.description,
  status: r.status,
  layer: r.layer,
  layerStart: r.layer_start,
  allocation: Number(r.allocation),
  variants: r.variants,
  targetGroups: r.target_groups,
  metrics: r.metrics,
  startDate: r.start_date?.toISOString() ?? null,
  endDate: r.end_date?.toISOString() ?? null,
  version: r.version,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

/** Every experiment write holds this transaction-scoped lock: layer ranges are checked and claimed atomically. */
const WRITE_LOCK = 0x65787031;

/** Experiments in PostgreSQL (postgres.js; the same SQL runs on PGlite). */
export function postgresExperimentStore(sql: postgres.Sql): ExperimentStore {
  const json = (value: unknown) => sql.json(value as postgres.JSONValue);
  const holdout = async () => {
    const [row] = await sql<{ holdout_percentage: string }[]>`SELECT holdout_percentage FROM experiment_settings`;
    return Number(row?.holdout_percentage ?? 0);
  };

  return {
    async list(filter = {}) {
      const rows = await sql<Row[]>`
        SELECT * FROM experiments ${filter.status ? sql`WHERE status = ${filter.status}` : sql``}
        ORDER BY created_at, id`;
      return rows.map(toExperiment);
    },
    async get(id) {
      const [row] = await sql<Row[]>`SELECT * FROM experiments WHERE id = ${id}`;
      return row ? toExperiment(row) : null;
    },
    async write(id, change) {
      return sql.begin(async (tx) => {
        await tx`SELECT pg_advisory_xact_lock(${WRITE_LOCK})`;
        const [current] = await tx<Row[]>`SELECT * FROM experiments WHERE id = ${id}`;
        const live = await tx<Row[]>`SELECT * FROM experiments WHERE status IN ('running', 'paused') ORDER BY id`;
        const next = change(current ? toExperiment(current) : null, live.map(toExperiment));
        if (next.layer !== null)
          await tx`INSERT INTO experiment_layers (id) VALUES (${next.layer}) ON CONFLICT DO NOTHING`;
        const [row] = await tx<Row[]>`
          INSERT INTO experiments (id, name, description, status, layer, layer_start, allocation, variants,
                                   target_groups, metrics, start_date, end_date, version)
          VALUES (${id}, ${next.name}, ${next.description}, ${next.status}, ${next.layer}, ${next.layerStart},
                  ${next.allocation}, ${json(next.variants)}, ${json(next.targetGroups)}, ${next.metrics},
                  ${next.startDate}, ${next.endDate}, ${next.version})
          ON CONFLICT (id) DO UPDATE SET
            name = excluded.name, description = excluded.description, status = excluded.status,
            layer = excluded.layer, layer_start = excluded.layer_start, allocation = excluded.allocation,
            variants = excluded.variants, target_groups = excluded.target_groups, metrics = excluded.metrics,
            start_date = excluded.start_date, end_date = excluded.end_date, version = excluded.version,
            updated_at = now()
          RETURNING *`;
        return toExperiment(row!);
      });
    },
    async live() {
      const [running, holdoutPercentage] = await Promise.all([
        sql<Row[]>`SELECT * FROM experiments WHERE status = 'running' ORDER BY id`,
        holdout(),
      ]);
      return { holdoutPercentage, experiments: running.map(toExperiment) };
    },
    holdout,
    async setHoldout(percentage) {
      await sql`
        INSERT INTO experiment_settings (singleton, holdout_percentage) VALUES (true, ${percentage})
        ON CONFLICT (singleton) DO UPDATE SET holdout_percentage = excluded.holdout_percentage, updated_at = now()`;
    },
    async planIds() {
      const rows = await sql<{ id: string }[]>`SELECT id FROM plans ORDER BY id`;
      return rows.map((r) => r.id);
    },
    async existing(ids) {
      if (ids.length === 0) return new Set();
      const rows = await sql<{ id: string }[]>`SELECT id FROM experiments WHERE id = ANY(${[...new Set(ids)]})`;
      return new Set(rows.map((r) => r.id));
    },
    async recordExposures(records) {
      if (records.length === 0) return 0;
      const rows = records.map((r) => ({
        experiment_id: r.experimentId,
        version: r.version,
        profile_id: r.profileId,
        variant_id: r.variantId,
        exposed_at: r.exposedAt,
      }));
      const inserted = await sql`INSERT INTO experiment_exposures ${sql(rows)} ON CONFLICT DO NOTHING`;
      return inserted.count;
    },
    async variantCounts(experimentId, version) {
      // Each profile counts once, with its first exposure: a widened experiment (new version)
      // exposes some profiles again, in the same variant.
      const rows = await sql<{ variant_id: string; exposed: string; completed: string }[]>`
        SELECT f.variant_id, count(*) AS exposed,
               count(*) FILTER (WHERE EXISTS (
                 SELECT 1 FROM completion_state c
                 WHERE c.profile_id = f.profile_id AND c.completions > 0
                   AND c.last_event_time >= (extract(epoch FROM f.exposed_at) * 1000)::bigint)) AS completed
        FROM (SELECT DISTINCT ON (profile_id) profile_id, variant_id, exposed_at
              FROM experiment_exposures
              WHERE experiment_id = ${experimentId} ${version === undefined ? sql`` : sql`AND version = ${version}`}
              ORDER BY profile_id, exposed_at) f
        GROUP BY f.variant_id`;
      return new Map<string, VariantCounts>(
        rows.map((r) => [r.variant_id, { exposed: Number(r.exposed), completed: Number(r.completed) }]),
      );
    },
  };
}
