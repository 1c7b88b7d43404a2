import { Hono } from 'hono';
import { BODY_PROBLEMS, describeRoute, json, type OperationSpec } from '../../../../core/api/openapi.ts';
import * as example from '../../../../core/api/examples.ts';
import { HeartbeatReceipt } from '../../../../core/api/schemas.ts';
import {
  acceptHeartbeat,
  eventTimeProblem,
  Heartbeat,
  HeartbeatBatch,
  ProgressView,
} from '../../../../core/progress.ts';
import { TitleIdParams } from '../../../../core/catalog.ts';
import { HttpError, type FieldError, type ProblemCode } from '../../../../core/problem.ts';
import { parseOrThrow, readJsonBody } from '../../../../core/validation.ts';
import { profileIdentity, requireUser } from '../http/auth.ts';
import type { AppContext, EdgeEnv } from '../http/context.ts';
import { bufferOf, callBuffer } from '../progress-client.ts';
import { knownProgress, viewOf } from '../progress-reads.ts';
import { titleSummaries } from '../title-summary.ts';
import { renewStreamSlot } from '../stream-slot.ts';

/** A full batch of 100 heartbeats is about 20 KiB of JSON; the default 16 KiB would refuse it. */
const BATCH_BODY_BYTES = 64 * 1024;

const HEARTBEAT_PROBLEMS = [...BODY_PROBLEMS, 'not_found', 'forbidden', 'origin_unavailable', 'unavailable'] as const;
const recordDoc: OperationSpec = {
  operationId: 'recordHeartbeat',
  summary: 'Record a playback heartbeat',
  description:
    "Stored in the profile's buffer before the 202 and flushed to the origin in batches; the later `eventTime` wins. The title must be in the catalog (404), playable (400) and within the profile's maturity level (403). Renews the device's stream lease; 409 `stream_ended` when another device stopped this stream.",
  tags: ['progress'],
  security: ['profileToken'],
  body: { schema: Heartbeat, example: example.HEARTBEAT },
  responses: { 202: json(HeartbeatReceipt, 'Buffered', example.HEARTBEAT_RECEIPT) },
  problems: [...HEARTBEAT_PROBLEMS, 'stream_ended'],
};
const batchDoc: OperationSpec = {
  operationId: 'recordHeartbeats',
  summary: 'Record up to 100 heartbeats at once (a client that was offline)',
  tags: ['progress'],
  security: ['profileToken'],
  body: { schema: HeartbeatBatch, example: { heartbeats: [example.HEARTBEAT] } },
  responses: { 202: json(HeartbeatReceipt, 'Buffered', example.HEARTBEAT_RECEIPT) },
  problems: HEARTBEAT_PROBLEMS,
};
const getDoc: OperationSpec = {
  operationId: 'getProgress',
  summary: "The profile's resume position on a title",
  tags: ['progress'],
  security: ['profileToken'],
  params: TitleIdParams,
  responses: { 200: json(ProgressView, "The latest state, from the profile's buffer", example.PROGRESS_VIEW) },
  problems: ['validation_failed', 'not_found', 'origin_unavailable', 'unavailable'],
};

/**
 * Playback heartbeats into the profile's ProgressBuffer (202 once it has stored them), and the
 * profile's resume position, which the buffer answers (it learned the stored progress once).
 */
export const progress = new Hono<EdgeEnv>()
  .use('*', requireUser('profile'))
  .post('/', describeRoute(recordDoc), async (c) => {
    const heartbeat = parseOrThrow(Heartbeat, await readJsonBody(c.req.raw), 'heartbeat');
    // A live heartbeat renews the device's stream lease (one RPC, beside the title checks); a batch
    // is a client catching up after being offline, and renews nothing.
    const renewed = renewStreamSlot(c, heartbeat.titleId);
    const [response] = await Promise.all([record(c, [heartbeat], (field) => field), renewed]);
    return response;
  })
  .post('/batch', describeRoute(batchDoc), async (c) => {
    const { heartbeats } = parseOrThrow(
      HeartbeatBatch,
      await readJsonBody(c.req.raw, BATCH_BODY_BYTES),
      'heartbeat batch',
    );
    return record(c, heartbeats, (field, i) => `heartbeats.${i}.${field}`);
  })
  .get('/:titleId', describeRoute(getDoc), async (c) => {
    const { titleId } = parseOrThrow(TitleIdParams, c.req.param(), 'path');
    const known = await knownProgress(c, profileIdentity(c), [titleId]);
    const state = known.find((p) => p.titleId === titleId);
    if (!state) throw new HttpError('not_found', 'This profile has no progress on this title');
    return c.json(await viewOf(c, state));
  });

type FieldPath = (field: string, index: number) => string;

async function record(c: AppContext, heartbeats: Heartbeat[], pathOf: FieldPath): Promise<Response> {
  const accepted = await checkHeartbeats(c, heartbeats, pathOf);
  const who = profileIdentity(c);
  const result = await callBuffer(() => bufferOf(c.env, who.profileId).record(who, accepted));
  if (result.refused > 0) {
    // Only when a profile has 1,000 unflushed titles, i.e. the origin has been down for long.
    throw new HttpError('unavailable', 'Too much unsaved progress on this profile; send again later', {
      headers: { 'retry-after': '60' },
    });
  }
  return c.json({ accepted: result.accepted, superseded: result.superseded, pending: result.pending }, 202);
}

/**
 * The checks a schema cannot make: event time against the clock, then the title against the
 * catalog (known → 404, playable → 400, within the profile's maturity level → 403). Answers the
 * heartbeats as accepted (core's `acceptHeartbeat`): on the catalog's duration, whatever the
 * client declared, and dated no later than now, when the edge received them.
 */
async function checkHeartbeats(c: AppContext, heartbeats: Heartbeat[], pathOf: FieldPath): Promise<Heartbeat[]> {
  const now = Date.now();
  const timeErrors = heartbeats.flatMap((hb, i) => {
    const problem = eventTimeProblem(hb.eventTime, now);
    return problem ? [{ path: pathOf('eventTime', i), message: problem }] : [];
  });
  fail('validation_failed', timeErrors);

  const { maturityLevel } = profileIdentity(c);
  // One origin call at most, for the titles the colo has not cached (known or missing).
  const summaries = await titleSummaries(
    c,
    heartbeats.map((hb) => hb.titleId),
  );
  const unknown: FieldError[] = [];
  const unplayable: FieldError[] = [];
  const restricted: FieldError[] = [];
  heartbeats.forEach((hb, i) => {
    const title = summaries.get(hb.titleId);
    const path = pathOf('titleId', i);
    if (!title) unknown.push({ path, message: 'is not a title in the catalog' });
    else if (title.type === 'series') unplayable.push({ path, message: 'is a series; send the episode being played' });
    else if (title.maturityLevel > maturityLevel)
      restricted.push({ path, message: "is above the profile's maturity level" });
  });
  fail('not_found', unknown);
  fail('validation_failed', unplayable);
  fail('forbidden', restricted);
  return heartbeats.map((hb) => acceptHeartbeat(hb, summaries.get(hb.titleId)?.durationSeconds ?? null, now));
}

function fail(code: ProblemCode, errors: FieldError[]): void {
  if (errors.length === 0) return;
  const summary = errors.map((e) => `${e.path}: ${e.message}`).join('; ');
  throw new HttpError(code, `Heartbeat refused: ${summary}`, { errors });
}
