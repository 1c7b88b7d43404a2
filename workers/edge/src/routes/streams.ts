/**
 * The account's active streams (core/streams.ts, workers/stream-leases): listing them, and stopping
 * one from any signed-in device of the account. Stopping one's own stream releases its slot (the
 * web client does so when the viewer leaves); stopping another device's ends it, and that player's
 * next heartbeat or licence request answers 409 `stream_ended`.
 */
import { Hono } from 'hono';
import { describeRoute, json, type OperationSpec } from '../../../../core/api/openapi.ts';
import { HttpError } from '../../../../core/problem.ts';
import { ActiveStreamsResponse, StreamIdParam, streamLimit } from '../../../../core/streams.ts';
import { parseOrThrow } from '../../../../core/validation.ts';
import { requireUser } from '../http/auth.ts';
import type { EdgeEnv } from '../http/context.ts';
import { callLeases, describeStreams, deviceOf, leasesOf, streamSettings } from '../stream-slot.ts';

const STREAMS_EXAMPLE = {
  limit: 4,
  streams: [
    {
      streamId: '6d1f2b3c-4a5e-4f60-8a7b-9c0d1e2f3a4b',
      profileId: '3c1e9a52-8f0b-4d6e-a1c7-5b2d9e4f6a80',
      profileName: 'Alex',
      deviceName: 'Living room TV',
      titleId: '9a7b5c3d-1e2f-4a6b-8c0d-2e4f6a8b0c1d',
      titleName: 'The Long Night',
      since: '2026-12-01T12:00:00.000Z',
      current: false,
    },
  ],
};

const listDoc: OperationSpec = {
  operationId: 'listStreams',
  summary: "The account's active streams",
  description:
    'Every device holding one of the plan\u2019s stream slots (a lease renewed by heartbeats; it lapses 90 s after the last one). `current` marks the calling device\u2019s.',
  tags: ['playback'],
  security: ['accountToken', 'profileToken'],
  responses: { 200: json(ActiveStreamsResponse, 'The active streams', STREAMS_EXAMPLE) },
  problems: ['unavailable'],
};
const stopDoc: OperationSpec = {
  operationId: 'stopStream',
  summary: 'Stop one stream of the account',
  description:
    "Frees its slot. Another device's stream is ended: its player's next heartbeat or licence request answers 409 `stream_ended`. A stream of another account, or one no longer active, answers 404.",
  tags: ['playback'],
  security: ['accountToken', 'profileToken'],
  params: StreamIdParam,
  responses: { 204: { description: 'Stopped' } },
  problems: ['validation_failed', 'not_found', 'unavailable'],
};

export const streams = new Hono<EdgeEnv>()
  .get('/', describeRoute(listDoc), requireUser('any'), async (c) => {
    const claims = c.get('user');
    const { leases, limit } = await callLeases(() => leasesOf(c.env, claims.sub).list());
    const body: ActiveStreamsResponse = {
      limit: limit ?? streamLimit(claims.plan, streamSettings(c.env).plans),
      streams: await describeStreams(c, leases),
    };
    c.header('cache-control', 'private, no-store');
    return c.json(body);
  })
  .delete('/:streamId', describeRoute(stopDoc), requireUser('any'), async (c) => {
    const { streamId } = parseOrThrow(StreamIdParam, c.req.param(), 'path');
    const claims = c.get('user');
    const outcome = await callLeases(() => leasesOf(c.env, claims.sub).stop(streamId, deviceOf(claims)));
    if (outcome === 'not_found') throw new HttpError('not_found', 'This account has no active stream with that id');
    return c.body(null, 204);
  });
