import { Hono } from 'hono';
import { BODY_PROBLEMS, describeRoute, json, type OperationSpec } from '../../../core/api/openapi.ts';
import { ProgressAnswer } from '../../../core/api/schemas.ts';
import {
  FlushRequest,
  onCatalogDuration,
  progressView,
  ProgressQuery,
  FlushResponse,
  MAX_STORED_ENTRIES,
  StoredProgressQuery,
  StoredProgressResponse,
  type ProgressQueryResponse,
} from '../../../core/progress.ts';
import { HttpError } from '../../../core/problem.ts';
import type { OriginEnv } from '../http/context.ts';
import { jsonBody } from '../http/body.ts';
import { callerProfile } from '../http/middleware.ts';
import { mergeStates, toEntry, toRecord } from '../domain/progress.ts';
import { CommitError } from '../progress/group-commit.ts';
import type { EventMessage, ProgressRecord } from '../stores/types.ts';

/** Flush bodies carry up to 500 entries. */
const FLUSH_BODY_BYTES = 256 * 1024;

/** Stable per state, so a retried flush republishes the same ids and consumers can drop duplicates. */
const progressEventId = (r: ProgressRecord) =>
  `progress:${r.profileId}:${r.titleId}:${r.lastWatchedAt.getTime()}:${r.tie}`;

function progressEvent(accountId: string, r: ProgressRecord): EventMessage {
  const id = progressEventId(r);
  return {
    id,
    key: r.profileId,
    value: {
      type: 'progress_update',
      eventId: id,
      accountId,
      profileId: r.profileId,
      titleId: r.titleId,
      seriesId: r.seriesId,
      contentType: r.contentType,
      positionSeconds: r.positionSeconds,
      durationSeconds: r.durationSeconds,
      progressPercent: r.durationSeconds > 0 ? r.positionSeconds / r.durationSeconds : 0,
      completed: r.completed,
      deviceId: r.deviceId,
      eventTime: r.lastWatchedAt.getTime(),
      tie: r.tie,
    },
  };
}

const flushDoc: OperationSpec = {
  operationId: 'flushProgress',
  summary: "A profile's buffered states, from its progress buffer",
  description:
    'Idempotent by content; 200 only once the progress store and the event log took every entry of this request (else 503 and the buffer retries). Concurrent flushes are committed together, each answered by its own outcome.',
  tags: ['internal'],
  security: ['serviceCredential'],
  body: { schema: FlushRequest },
  responses: { 200: json(FlushResponse, 'Written and published') },
  problems: BODY_PROBLEMS,
};
const queryDoc: OperationSpec = {
  operationId: 'queryProgress',
  summary: 'Stored progress of some titles, merged with buffered states',
  tags: ['internal'],
  security: ['serviceCredential'],
  body: { schema: ProgressQuery },
  responses: { 200: json(ProgressAnswer, 'The latest state of each title that has one') },
  problems: BODY_PROBLEMS,
};

const storedDoc: OperationSpec = {
  operationId: 'storedProgress',
  summary: "The calling profile's stored states, for its progress buffer to learn",
  description:
    'No titles named: every live state of the profile (one partition read), newest first, at most 1,000 (`truncated` when there are more). Titles named: those titles only.',
  tags: ['internal'],
  security: ['serviceCredential'],
  body: { schema: StoredProgressQuery },
  responses: { 200: json(StoredProgressResponse, 'The stored states') },
  problems: BODY_PROBLEMS,
};

/** The progress buffer's flush target, what it learns from, and reads that merge its unflushed states. */
export const progress = new Hono<OriginEnv>()
  .post('/flush', describeRoute(flushDoc), async (c) => {
    const { accountId, profileId } = callerProfile(c.get('caller'));
    const body = await jsonBody(c, FlushRequest, 'flush batch', FLUSH_BODY_BYTES);
    const { stores, completion, log, metrics, progressCommits } = c.get('deps');
    metrics.progressFlushRows.observe(body.entries.length);
    const oldest = Math.min(...body.entries.map((e) => e.eventTime));
    if (Number.isFinite(oldest)) metrics.progressFlushLag.observe(Math.max(0, Date.now() - oldest) / 1000);
    const titles = await stores.catalog.titleSummaries(body.entries.map((e) => e.titleId));
    const now = Date.now();
    const records: ProgressRecord[] = [];
    const dropped: string[] = [];
    for (const entry of body.entries) {
      const title = titles.get(entry.titleId);
      if (!title || title.type === 'series') dropped.push(entry.titleId);
      else records.push(toRecord(profileId, entry, { ...title, type: title.type }, completion, now));
    }
    // Acknowledge only when both the store and the event log took every record: otherwise the
    // buffer keeps them and retries, and both writes are idempotent. No fallback: a quick 503
    // (an open breaker answers at once) and the buffer keeps buffering. Concurrent flushes are
    // committed together (progress/group-commit.ts), each answered by its own outcome.
    const written = metrics.progressWrite.startTimer();
    try {
      await progressCommits.commit({ records, events: records.map((r) => progressEvent(accountId, r)) });
    } catch (err) {
      const what = err instanceof CommitError && err.store === 'events' ? 'The event log' : 'The progress store';
      throw new HttpError('unavailable', `${what} is unavailable; retry later`, {
        cause: err,
        headers: { 'retry-after': '5' },
      });
    }
    written();
    log.info('progress_flushed', {
      requestId: c.get('requestId'),
      profileId,
      batchId: body.batchId,
      rows: records.length,
      dropped: dropped.length,
    });
    return c.json({ acknowledged: records.length, dropped } satisfies FlushResponse);
  })
  .post('/stored', describeRoute(storedDoc), async (c) => {
    const { profileId } = callerProfile(c.get('caller'));
    const { titleIds } = await jsonBody(c, StoredProgressQuery, 'stored progress query');
    const { progress } = c.get('deps').stores;
    const records = titleIds
      ? (await Promise.all(titleIds.map((id) => progress.get(profileId, id)))).filter((r) => r !== null)
      : await progress.listForProfile(profileId);
    const entries = records.map(toEntry);
    return c.json({
      entries: entries.slice(0, MAX_STORED_ENTRIES),
      truncated: entries.length > MAX_STORED_ENTRIES,
    } satisfies StoredProgressResponse);
  })
  .post('/query', describeRoute(queryDoc), async (c) => {
    const { profileId } = callerProfile(c.get('caller'));
    const body = await jsonBody(c, ProgressQuery, 'progress query', FLUSH_BODY_BYTES);
    const { stores, completion } = c.get('deps');
    const wanted = new Set(body.titleIds);
    const [stored, titles] = await Promise.all([
      Promise.all(body.titleIds.map((id) => stores.progress.get(profileId, id))),
      stores.catalog.titleSummaries(body.titleIds),
    ]);
    const merged = mergeStates(
      stored.filter((r) => r !== null),
      body.pending.filter((e) => wanted.has(e.titleId)),
    );
    // Pending states are the caller's word: read them, like stored ones, on the catalog's duration.
    const views = [...merged.values()].map((e) => {
      const title = titles.get(e.titleId);
      return progressView(
        onCatalogDuration(e, title?.durationSeconds ?? null),
        title?.type === 'episode' ? 'episode' : 'movie',
        completion,
      );
    });
    return c.json({ progress: views } satisfies ProgressQueryResponse);
  });
