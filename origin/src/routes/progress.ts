import { Hono } from 'hono';
import { BODY_PROBLEMS, describeRoute, json, type OperationSpec } from '../../../core/api/openapi.ts';
import { ProgressAnswer } from '../../../core/api/schemas.ts';
import {
  FlushBatchRequest,
  FlushBatchResponse,
  FlushRequest,
  type FlushPartResult,
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
import { callerProfile, MAX_SIGNED_BODY_BYTES } from '../http/middleware.ts';
import { mergeStates, toEntry } from '../domain/progress.ts';
import { commitPartOf, oldestAgeSeconds } from '../progress/commit-part.ts';
import { CommitError } from '../progress/group-commit.ts';

/** Flush bodies carry up to 500 entries. */
const FLUSH_BODY_BYTES = 256 * 1024;
/** A flush batch carries up to 2,000 entries (~750 KB at the longest device ids): the largest signed body. */
const FLUSH_BATCH_BODY_BYTES = MAX_SIGNED_BODY_BYTES;

/** What a failed commit tells the caller: which store, never the driver's words. */
function commitFailure(err: unknown): string {
  const what = err instanceof CommitError && err.store === 'events' ? 'The event log' : 'The progress store';
  return `${what} is unavailable; retry later`;
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
const flushBatchDoc: OperationSpec = {
  operationId: 'flushProgressBatch',
  summary: "Many profiles' buffered states, from a flush relay",
  description:
    "One part per profile (a profile named twice: 400), each committed as its own flush: 200 with one result per part, in order, `acknowledged` only once the progress store and the event log took every entry of that part, else that part's `error` (`unavailable`: retry it; `forbidden`: its profile belongs to another account). A failure of the whole request answers 503. The service credential names no user (one that does: 403); each part names its account and profile. Idempotent by content, like `flushProgress`.",
  tags: ['internal'],
  security: ['serviceCredential'],
  body: { schema: FlushBatchRequest },
  responses: { 200: json(FlushBatchResponse, 'One outcome per part') },
  problems: [...BODY_PROBLEMS, 'forbidden'],
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

/** Where buffers flush (themselves, or through a relay), what they learn from, and reads that merge their states. */
export const progress = new Hono<OriginEnv>()
  .post('/flush', describeRoute(flushDoc), async (c) => {
    const owner = callerProfile(c.get('caller'));
    const body = await jsonBody(c, FlushRequest, 'flush batch', FLUSH_BODY_BYTES);
    const { stores, completion, log, metrics, progressCommits } = c.get('deps');
    const now = Date.now();
    metrics.progressFlushRows.observe(body.entries.length);
    const lag = oldestAgeSeconds(body.entries, now);
    if (lag !== null) metrics.progressFlushLag.observe(lag);
    const titles = await stores.catalog.titleSummaries(body.entries.map((e) => e.titleId));
    const { part, dropped } = commitPartOf(owner, body.entries, titles, completion, now);
    // Acknowledge only when both the store and the event log took every record: otherwise the
    // buffer keeps them and retries, and both writes are idempotent. No fallback: a quick 503
    // (an open breaker answers at once) and the buffer keeps buffering. Concurrent flushes are
    // committed together (progress/group-commit.ts), each answered by its own outcome.
    const written = metrics.progressWrite.startTimer();
    try {
      await progressCommits.commit(part);
    } catch (err) {
      throw new HttpError('unavailable', commitFailure(err), { cause: err, headers: { 'retry-after': '5' } });
    }
    written();
    log.info('progress_flushed', {
      requestId: c.get('requestId'),
      profileId: owner.profileId,
      batchId: body.batchId,
      rows: part.records.length,
      dropped: dropped.length,
    });
    return c.json({ acknowledged: part.records.length, dropped } satisfies FlushResponse);
  })
  .post('/flush-batch', describeRoute(flushBatchDoc), async (c) => {
    // The relay acts for many profiles, each named by its part: a credential minted for one user's
    // request (naming an account) is not one the relay sent, and must not vouch for other profiles.
    if (c.get('caller') !== undefined) {
      throw new HttpError('forbidden', 'A flush batch takes a credential that names no user; each part names its own');
    }
    const { parts } = await jsonBody(c, FlushBatchRequest, 'flush batch', FLUSH_BATCH_BODY_BYTES);
    const { stores, completion, log, metrics, progressCommits, profileOwners } = c.get('deps');
    const now = Date.now();
    const entries = parts.flatMap((p) => p.entries);
    const lag = oldestAgeSeconds(entries, now);
    if (lag !== null) metrics.progressFlushLag.observe(lag);
    // One catalog lookup for every title of every part (cached in memory: stores/cached-catalog.ts);
    // owners as the credential check would have checked each part's, in one query for those not remembered.
    const [titles, owners] = await Promise.all([
      stores.catalog.titleSummaries([...new Set(entries.map((e) => e.titleId))]),
      profileOwners.ownersOf(parts.map((p) => p.profileId)),
    ]);
    const written = metrics.progressWrite.startTimer();
    // One commit part per part, so each is answered by its own outcome (progress/group-commit.ts).
    const results = await Promise.all(
      parts.map(async (p): Promise<FlushPartResult> => {
        const owner = owners.get(p.profileId) ?? null;
        if (owner !== null && owner !== p.accountId) {
          log.error('progress_part_refused', {
            requestId: c.get('requestId'),
            profileId: p.profileId,
            batchId: p.batchId,
          });
          return { batchId: p.batchId, error: 'forbidden', detail: "The part's profile belongs to another account" };
        }
        metrics.progressFlushRows.observe(p.entries.length);
        const { part, dropped } = commitPartOf(p, p.entries, titles, completion, now);
        try {
          await progressCommits.commit(part);
        } catch (err) {
          log.warn('progress_part_failed', {
            requestId: c.get('requestId'),
            profileId: p.profileId,
            batchId: p.batchId,
            error: err,
          });
          return { batchId: p.batchId, error: 'unavailable', detail: commitFailure(err) };
        }
        return { batchId: p.batchId, acknowledged: part.records.length, dropped };
      }),
    );
    written();
    log.info('progress_batch_flushed', {
      requestId: c.get('requestId'),
      parts: parts.length,
      rows: entries.length,
      failed: results.filter((r) => 'error' in r).length,
    });
    return c.json({ results } satisfies FlushBatchResponse);
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
