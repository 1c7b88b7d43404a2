/**
 * Response bodies that had only a TypeScript shape in the handlers, as schemas for the OpenAPI
 * documents (the handlers' `satisfies` checks keep them honest where they use these types).
 */
import { z } from 'zod';
import { Assignment, Experiment, ExperimentId } from '../experiments/schema.ts';
import { ProgressView } from '../progress.ts';

const uuid = z.uuid();

export const HealthStatus = z.strictObject({ status: z.literal('ok') });

export const Readiness = z.strictObject({
  status: z.enum(['ready', 'unavailable']),
  checks: z.record(z.string(), z.strictObject({ ok: z.boolean(), error: z.string().optional() })),
});

/** 202 of POST /v1/progress and /v1/progress/batch: what the profile's buffer made of the heartbeats. */
export const HeartbeatReceipt = z.strictObject({
  /** Heartbeats now represented in the buffer (applied, or already superseded by a newer state). */
  accepted: z.number().int().nonnegative(),
  /** Of the accepted, those that changed nothing (older than, or a replay of, the kept state). */
  superseded: z.number().int().nonnegative(),
  /** Titles of this profile waiting for the next flush. */
  pending: z.number().int().nonnegative(),
});
export type HeartbeatReceipt = z.infer<typeof HeartbeatReceipt>;

/** One completed title in the watch history. */
export const HistoryItem = z.strictObject({
  contentId: uuid,
  seriesId: uuid.nullable(),
  title: z.string(),
  episodeInfo: z.string().nullable(),
  posterUrl: z.string().nullable(),
  watchedAt: z.iso.datetime(),
});

/** GET /v1/history (and the origin's /internal/v1/history). */
export const HistoryPage = z.strictObject({ items: z.array(HistoryItem), nextCursor: z.string().nullable() });
export type HistoryPage = z.infer<typeof HistoryPage>;

/** POST /internal/v1/progress/query. */
export const ProgressAnswer = z.strictObject({ progress: z.array(ProgressView) });

/** 202 of POST /internal/v1/experiments/exposures. */
export const ExposureReceipt = z.strictObject({
  accepted: z.number().int().nonnegative(),
  /** Experiment ids the origin does not know (their exposures are dropped). */
  dropped: z.array(ExperimentId),
});

/** GET /operator/v1/experiments. */
export const ExperimentList = z.strictObject({ experiments: z.array(Experiment) });

/** GET /operator/v1/assignments/{profileId}: the allocation the edge would compute. */
export const OperatorAssignments = z.strictObject({
  assignments: z.array(Assignment),
  configVersion: z.string(),
});
