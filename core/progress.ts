/**
 * Viewing progress: heartbeat validation, the coalescing rule, and the wire types between the
 * edge, the per-profile ProgressBuffer Durable Object and the origin. Pure code.
 *
 * The rule, in one place: for each (profile, title) the state with the later `eventTime` wins;
 * on equal event times the later arrival wins, recorded as a `tie` counter (0–999) that the
 * origin folds into Cassandra's write timestamp (eventTime ms × 1000 + tie µs). So the buffer,
 * Cassandra's last-write-wins and any replay agree, and a late or replayed heartbeat can never
 * move a position backwards. An exact replay (same event time, device and position) changes nothing.
 */
import { z } from 'zod';

/** Position may run this far past the duration (players report slightly past the end). */
export const POSITION_TOLERANCE_SECONDS = 5;
/** Heartbeats claiming to be from further in the future than this are refused (bad clocks). */
export const MAX_FUTURE_SKEW_MS = 5 * 60_000;
/** Offline clients may send heartbeats up to this old. */
export const MAX_HEARTBEAT_AGE_MS = 30 * 24 * 3600_000;
/** Upper bound of a heartbeat batch from a client that was offline. */
export const MAX_HEARTBEATS_PER_BATCH = 100;
export const MAX_TIE = 999;
/** How long a title's stored progress lives after its last write (the design's 90-day TTL). */
export const PROGRESS_RETENTION_SECONDS = 90 * 24 * 3600;
/** Continue Watching shows titles started beyond this fraction and not completed. */
export const CONTINUE_WATCHING_MIN_FRACTION = 0.05;

const uuid = z.uuid();
const seconds = z.number().finite().nonnegative();
const deviceId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\w.:-]+$/, 'may contain letters, digits and . _ : - only');

/**
 * What the player was doing when it sent a heartbeat: `paused` and `stopped` end a stretch of
 * viewing, so the buffer flushes them early (workers/progress-buffer/src/flush-policy.ts).
 * Optional: a heartbeat without it counts as `playing`. Not stored.
 */
export const PLAYBACK_STATES = ['playing', 'paused', 'stopped'] as const;

/** One playback heartbeat as a client sends it. `eventTime` is epoch milliseconds. */
export const Heartbeat = z
  .strictObject({
    titleId: uuid,
    positionSeconds: seconds,
    durationSeconds: seconds.refine((d) => d > 0, 'must be greater than 0'),
    eventTime: z.number().int().nonnegative(),
    deviceId,
    state: z.enum(PLAYBACK_STATES).optional(),
  })
  .refine((h) => h.positionSeconds <= h.durationSeconds + POSITION_TOLERANCE_SECONDS, {
    message: `must not exceed durationSeconds by more than ${POSITION_TOLERANCE_SECONDS} s`,
    path: ['positionSeconds'],
  });
export type Heartbeat = z.infer<typeof Heartbeat>;

export const HeartbeatBatch = z.strictObject({
  heartbeats: z.array(Heartbeat).min(1).max(MAX_HEARTBEATS_PER_BATCH),
});
export type HeartbeatBatch = z.infer<typeof HeartbeatBatch>;

/** Why an event time is unacceptable at `now`, or null when it is fine. */
export function eventTimeProblem(eventTime: number, now: number): string | null {
  if (eventTime > now + MAX_FUTURE_SKEW_MS) return 'is in the future; check the device clock';
  if (eventTime < now - MAX_HEARTBEAT_AGE_MS) return 'is more than 30 days old';
  return null;
}

/**
 * A state on the catalog's duration: the duration a client declares never decides anything.
 * Players report the duration of the media they decoded, which normally differs slightly from
 * the catalog's (encoder padding, a trimmed credit roll), so a disagreeing declaration is neither
 * refused nor trusted: it is replaced by the catalog's, and the position is clamped to it. So
 * `{"positionSeconds":1,"durationSeconds":1}` on a 60 s title is 1 s of 60, not a completion.
 * A title without a catalog duration (a series, which holds no progress) is left as it is.
 */
export function onCatalogDuration<T extends Pick<ProgressEntry, 'positionSeconds' | 'durationSeconds'>>(
  state: T,
  catalogDurationSeconds: number | null,
): T {
  if (catalogDurationSeconds === null || !(catalogDurationSeconds > 0)) return state;
  return {
    ...state,
    durationSeconds: catalogDurationSeconds,
    positionSeconds: Math.min(state.positionSeconds, catalogDurationSeconds),
  };
}

/**
 * A heartbeat as the edge accepts it, `receivedAt` being when the edge received it: on the
 * catalog's duration, and with its event time no later than `receivedAt`. A device clock up to
 * `MAX_FUTURE_SKEW_MS` ahead is tolerated (not refused), but its heartbeats cannot claim to be
 * from later than they arrived: otherwise one would outrank every real heartbeat sent after it
 * for minutes. Real clocks are behind the edge's by the network delay, so this rarely changes one.
 */
export function acceptHeartbeat(hb: Heartbeat, catalogDurationSeconds: number | null, receivedAt: number): Heartbeat {
  return { ...onCatalogDuration(hb, catalogDurationSeconds), eventTime: Math.min(hb.eventTime, receivedAt) };
}
/** The last instant an ISO 8601 date-time (a four-digit year) can name: `lastWatchedAt` must be one. */
export const LATEST_EVENT_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** The latest state of one title for one profile, as buffered and flushed. */
export const ProgressEntry = z.strictObject({
  titleId: uuid,
  positionSeconds: seconds,
  durationSeconds: seconds,
  eventTime: z.number().int().nonnegative().max(LATEST_EVENT_TIME_MS),
  tie: z.number().int().min(0).max(MAX_TIE),
  deviceId,
});
export type ProgressEntry = z.infer<typeof ProgressEntry>;

/** Total order of states for one title: later event time, then higher tie. */
export function compareEntries(
  a: Pick<ProgressEntry, 'eventTime' | 'tie'>,
  b: Pick<ProgressEntry, 'eventTime' | 'tie'>,
): number {
  return a.eventTime - b.eventTime || a.tie - b.tie;
}

/**
 * Applies a heartbeat to the current state of its title: the new state when it wins, or `null`
 * when it is older than, or an exact replay of, what is kept.
 */
export function applyHeartbeat(current: ProgressEntry | undefined, hb: Heartbeat): ProgressEntry | null {
  const next = {
    titleId: hb.titleId,
    positionSeconds: hb.positionSeconds,
    durationSeconds: hb.durationSeconds,
    eventTime: hb.eventTime,
    deviceId: hb.deviceId,
  };
  if (!current || hb.eventTime > current.eventTime) return { ...next, tie: 0 };
  if (hb.eventTime < current.eventTime) return null;
  const replay =
    hb.deviceId === current.deviceId &&
    hb.positionSeconds === current.positionSeconds &&
    hb.durationSeconds === current.durationSeconds;
  if (replay || current.tie >= MAX_TIE) return null;
  return { ...next, tie: current.tie + 1 };
}

/** Cassandra write timestamp (µs) for a state: ordered exactly like `compareEntries`. */
export function writeTimestampMicros(entry: Pick<ProgressEntry, 'eventTime' | 'tie'>): bigint {
  return BigInt(entry.eventTime) * 1000n + BigInt(entry.tie);
}

/** The later of two states of one title (either may be missing). */
export function latest<T extends Pick<ProgressEntry, 'eventTime' | 'tie'>>(
  a: T | undefined,
  b: T | undefined,
): T | undefined {
  if (!a) return b;
  if (!b) return a;
  return compareEntries(a, b) >= 0 ? a : b;
}

// ---- Edge/Durable Object → origin (service credential carries account and profile) ----

/** Upper bound of entries in one flush; the buffer splits larger flushes. */
export const MAX_FLUSH_ENTRIES = 500;

/** POST /internal/v1/progress/flush: one profile's buffered states. Idempotent by content. */
export const FlushRequest = z.strictObject({
  batchId: z.string().min(1).max(64),
  entries: z.array(ProgressEntry).min(1).max(MAX_FLUSH_ENTRIES),
});
export type FlushRequest = z.infer<typeof FlushRequest>;

export const FlushResponse = z.strictObject({
  /** Entries durably written to the progress store with their events published. */
  acknowledged: z.number().int().nonnegative(),
  /** Entries for titles the catalog no longer has: dropped, and safe to forget. */
  dropped: z.array(uuid),
});
export type FlushResponse = z.infer<typeof FlushResponse>;

/** Most parts (one profile's flush each) in one flush batch of the flush relay. */
export const MAX_BATCH_PARTS = 500;
/** Most entries over all the parts of one flush batch: bounds its body (~750 KB at worst) and its commit. */
export const MAX_BATCH_ENTRIES = 2_000;

/** One profile's flush inside a batch: a FlushRequest plus the ids its own credential would have named. */
export const FlushPart = z.strictObject({
  batchId: FlushRequest.shape.batchId,
  accountId: uuid,
  profileId: uuid,
  entries: FlushRequest.shape.entries,
});
export type FlushPart = z.infer<typeof FlushPart>;

/** The origin route a flush relay sends its batches to (`origin/src/routes/progress.ts`). */
export const FLUSH_BATCH_PATH = '/internal/v1/progress/flush-batch';

/**
 * POST /internal/v1/progress/flush-batch: many profiles' flushes, sent together by the flush relay
 * (workers/flush-relay). At most one part per profile: two would race for the same partition, and
 * the relay never puts a profile's second flush in the batch that carries its first.
 */
export const FlushBatchRequest = z.strictObject({
  parts: z
    .array(FlushPart)
    .min(1)
    .max(MAX_BATCH_PARTS)
    .refine((parts) => parts.reduce((n, p) => n + p.entries.length, 0) <= MAX_BATCH_ENTRIES, {
      message: `must carry at most ${MAX_BATCH_ENTRIES} entries in all`,
    })
    .refine((parts) => new Set(parts.map((p) => p.profileId)).size === parts.length, {
      message: 'must name each profile at most once',
    }),
});
export type FlushBatchRequest = z.infer<typeof FlushBatchRequest>;

/**
 * Why one part of a batch was not acknowledged. `unavailable`: its write or its events failed (retry
 * later); `forbidden`: its profile belongs to another account than the part names (a bug; never retried into success).
 */
export const FLUSH_PART_ERRORS = ['unavailable', 'forbidden'] as const;
export type FlushPartError = (typeof FLUSH_PART_ERRORS)[number];

/** The outcome of one part: its FlushResponse, or why it failed; the others are not affected. */
export const FlushPartResult = z.union([
  FlushResponse.extend({ batchId: FlushPart.shape.batchId }),
  z.strictObject({ batchId: FlushPart.shape.batchId, error: z.enum(FLUSH_PART_ERRORS), detail: z.string() }),
]);
export type FlushPartResult = z.infer<typeof FlushPartResult>;

/** The answer to a flush batch: one result per part, in the order of the parts. */
export const FlushBatchResponse = z.strictObject({ results: z.array(FlushPartResult).max(MAX_BATCH_PARTS) });
export type FlushBatchResponse = z.infer<typeof FlushBatchResponse>;

/** POST /internal/v1/progress/query: stored progress of some titles, merged with buffered states. */
export const ProgressQuery = z.strictObject({
  titleIds: z.array(uuid).min(1).max(100),
  pending: z.array(ProgressEntry).max(MAX_FLUSH_ENTRIES),
});
export type ProgressQuery = z.infer<typeof ProgressQuery>;

/** Most states one answer of POST /internal/v1/progress/stored carries: as many as a buffer keeps. */
export const MAX_STORED_ENTRIES = 1_000;

/**
 * POST /internal/v1/progress/stored: the profile's stored states, for its ProgressBuffer to learn
 * (no titles named: all of them, one partition read), or those of a few titles it let go of.
 */
export const StoredProgressQuery = z.strictObject({
  titleIds: z.array(uuid).min(1).max(100).optional(),
});
export type StoredProgressQuery = z.infer<typeof StoredProgressQuery>;

/** Its answer: stored states, newest first; `truncated` when the profile has more than were sent. */
export const StoredProgressResponse = z.strictObject({
  entries: z.array(ProgressEntry).max(MAX_STORED_ENTRIES),
  truncated: z.boolean(),
});
export type StoredProgressResponse = z.infer<typeof StoredProgressResponse>;

/** What a client sees of one title's progress. */
export const ProgressView = z.strictObject({
  titleId: uuid,
  positionSeconds: z.number(),
  durationSeconds: z.number(),
  progressPercent: z.number(),
  completed: z.boolean(),
  lastWatchedAt: z.iso.datetime(),
  deviceId: z.string(),
});
export type ProgressView = z.infer<typeof ProgressView>;

/** The origin's answer to POST /internal/v1/progress/query: a view per title that has progress. */
export const ProgressQueryResponse = z.strictObject({ progress: z.array(ProgressView) });
export type ProgressQueryResponse = z.infer<typeof ProgressQueryResponse>;

// ---- Reading progress: one rule at the edge and at the origin ----

/** What a progress state belongs to: only movies and episodes are played. */
export type PlayableType = 'movie' | 'episode';

/** One completion threshold: the fraction of the duration from which a title counts as watched. */
export const CompletionThreshold = z.coerce.number().min(0.5).max(1);

/** Completion threshold per content type. */
export const CompletionThresholds = z.strictObject({ movie: CompletionThreshold, episode: CompletionThreshold });
export type CompletionThresholds = z.infer<typeof CompletionThresholds>;

export const DEFAULT_COMPLETION_THRESHOLDS: CompletionThresholds = { movie: 0.95, episode: 0.95 };

/**
 * The variables both sides read the thresholds from: the origin's environment and the edge's
 * vars (wrangler.toml), parsed by `completionThresholds` with the same bounds and defaults.
 */
export const COMPLETION_THRESHOLD_VARS = {
  movie: 'COMPLETION_THRESHOLD_MOVIE',
  episode: 'COMPLETION_THRESHOLD_EPISODE',
} as const;

type ThresholdVars = Partial<Record<(typeof COMPLETION_THRESHOLD_VARS)[PlayableType], string | number | undefined>>;

/** The thresholds the variables set (unset or empty: the default); a bad value throws naming the variable. */
export function completionThresholds(vars: ThresholdVars): CompletionThresholds {
  const read = (type: PlayableType): number => {
    const name = COMPLETION_THRESHOLD_VARS[type];
    const raw = vars[name];
    if (raw === undefined || raw === '') return DEFAULT_COMPLETION_THRESHOLDS[type];
    const parsed = CompletionThreshold.safeParse(raw);
    if (!parsed.success) throw new Error(`${name} must be a fraction between 0.5 and 1, not "${raw}"`);
    return parsed.data;
  };
  return { movie: read('movie'), episode: read('episode') };
}

/** Whether a state counts as watched to the end, by its content type's threshold. */
export function isCompleted(
  entry: Pick<ProgressEntry, 'positionSeconds' | 'durationSeconds'>,
  type: PlayableType,
  thresholds: CompletionThresholds,
): boolean {
  return entry.durationSeconds > 0 && entry.positionSeconds / entry.durationSeconds >= thresholds[type];
}

/** What a client sees of a state: built by the origin, and by the edge from a buffered state. */
export function progressView(entry: ProgressEntry, type: PlayableType, thresholds: CompletionThresholds): ProgressView {
  const fraction = entry.durationSeconds > 0 ? entry.positionSeconds / entry.durationSeconds : 0;
  return {
    titleId: entry.titleId,
    positionSeconds: entry.positionSeconds,
    durationSeconds: entry.durationSeconds,
    progressPercent: Math.min(100, Math.round(fraction * 1000) / 10),
    completed: isCompleted(entry, type, thresholds),
    lastWatchedAt: new Date(entry.eventTime).toISOString(),
    deviceId: entry.deviceId,
  };
}

/** Seconds to start playback at: where the profile left off, or 0 when it finished the title. */
export function resumeAt(view: Pick<ProgressView, 'positionSeconds' | 'completed'>): number {
  return view.completed ? 0 : view.positionSeconds;
}

/**
 * POST /internal/v1/continue-watching: the list, merged with the buffer's states. `complete`: the
 * states are all of the profile's progress (the buffer learned it), so the store is not read.
 */
export const ContinueWatchingQuery = z.strictObject({
  limit: z.number().int().min(1).max(50),
  pending: z.array(ProgressEntry).max(MAX_FLUSH_ENTRIES),
  complete: z.boolean().optional(),
});
export type ContinueWatchingQuery = z.infer<typeof ContinueWatchingQuery>;

/** The design reference's ContinueWatchingItem, plus the ids a client needs to act on it. */
export const ContinueWatchingItem = z.strictObject({
  contentId: uuid,
  seriesId: uuid.nullable(),
  title: z.string(),
  episodeInfo: z.string().nullable(),
  posterUrl: z.string().nullable(),
  progressPercent: z.number().int(),
  resumePosition: z.number(),
  lastWatchedAt: z.iso.datetime(),
});
export type ContinueWatchingItem = z.infer<typeof ContinueWatchingItem>;

/** What POST /internal/v1/continue-watching (and so GET /v1/continue-watching) answers. */
export const ContinueWatchingResponse = z.strictObject({ items: z.array(ContinueWatchingItem) });
export type ContinueWatchingResponse = z.infer<typeof ContinueWatchingResponse>;

/** Query of GET /v1/continue-watching. */
export const ContinueWatchingParams = z.strictObject({
  limit: z.coerce.number().int().min(1).max(50).default(20),
});

/** A title as the edge checks a heartbeat against it (an item of `TitleSummariesResponse`). */
export const TitleSummaryWire = z.strictObject({
  id: uuid,
  type: z.enum(['movie', 'episode', 'series']),
  seriesId: uuid.nullable(),
  durationSeconds: z.number().nullable(),
  maturityLevel: z.number().int(),
});
export type TitleSummaryWire = z.infer<typeof TitleSummaryWire>;

/** Most titles one summaries request names: those of a full heartbeat batch. */
export const MAX_TITLE_SUMMARIES = MAX_HEARTBEATS_PER_BATCH;

/** POST /internal/v1/titles/summaries: the titles a heartbeat (or a batch) names, in one call. */
export const TitleSummariesRequest = z.strictObject({
  titleIds: z.array(uuid).min(1).max(MAX_TITLE_SUMMARIES),
});
export type TitleSummariesRequest = z.infer<typeof TitleSummariesRequest>;

/** Its answer: a summary for each title the catalog has; an id it does not have is left out. */
export const TitleSummariesResponse = z.strictObject({ summaries: z.array(TitleSummaryWire) });
export type TitleSummariesResponse = z.infer<typeof TitleSummariesResponse>;

/** Query of GET /v1/history: page size and the opaque cursor of the previous page. */
export const HistoryParams = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z
    .string()
    .regex(/^(?:[0-9a-f]{2}){1,1024}$/, 'must be a cursor from a previous page')
    .optional(),
});
