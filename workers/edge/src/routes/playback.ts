/**
 * Manifests for the calling profile: DASH (`manifest.mpd`, or JSON with `Accept:
 * application/json`) and HLS (`master.m3u8` and its media playlists), listing only what the
 * device and the account's plan can play, with one signed segment token per representation.
 *
 * Auth: the MPD and the master playlist need the profile token (Authorization header). Media
 * playlists are fetched by the player itself, which cannot add headers, so their URLs carry the
 * representation's segment token instead (the same one its segments carry): no user token there.
 */
import { Hono } from 'hono';
import { describeRoute, type OperationSpec, type ResponseSpec } from '../../../../core/api/openapi.ts';
import { DeviceCapabilityQuery } from '../../../../core/api/device.ts';
import { z } from 'zod';

import { TitleIdParams } from '../../../../core/catalog.ts';
import { buildMpd, DASH_CONTENT_TYPE } from '../../../../core/manifest/dash.ts';
import {
  DEVICE_CAPABILITIES_HEADER,
  DROPPED_HEADER,
  filterForDevice,
  formatDropped,
  notPlayableDetail,
  parseDeviceCapabilities,
  type Dropped,
} from '../../../../core/manifest/device.ts';
import {
  buildMasterPlaylist,
  buildMediaPlaylist,
  buildSubtitlePlaylist,
  HLS_CONTENT_TYPE,
} from '../../../../core/manifest/hls.ts';
import { buildJsonManifest, PlaybackManifest } from '../../../../core/manifest/json.ts';
import { INIT_SEGMENT, type MediaLocation } from '../../../../core/manifest/location.ts';
import { planLimits } from '../../../../core/manifest/plans.ts';
import { limitsWithinKeyCeiling } from '../../../../core/protection/tiers.ts';
import type { PlaybackSource, Selection } from '../../../../core/manifest/source.ts';
import { HttpError } from '../../../../core/problem.ts';
import {
  requireCoveredPath,
  SEGMENT_TOKEN_PARAM,
  signSegmentToken,
  verifySegmentClaims,
  type SegmentKeySet,
} from '../../../../core/segment-token.ts';
import type { Identity } from '../../../../core/tokens.ts';
import { parseOrThrow } from '../../../../core/validation.ts';
import { profileClaims, profileIdentity, requireUser } from '../http/auth.ts';
import type { AppContext, EdgeEnv } from '../http/context.ts';
import { checkSegmentSession } from '../http/session-guard.ts';
import { segmentKeys } from '../playback/keys.ts';
import { resumePosition } from '../playback/resume.ts';
import { playbackSource } from '../playback/source.ts';
import { isolateMetrics, timed } from '../../../shared/isolate-metrics.ts';
import { STREAM_ID_HEADER, takeStreamSlot } from '../stream-slot.ts';

/** Set when the manifest was built from the colo's cached catalog copy because the origin could not answer. */
export const FALLBACK_HEADER = 'x-edgeflix-fallback';

const PlaylistParams = TitleIdParams.extend({
  file: z.string().regex(/^[0-9a-f-]{36}\.m3u8$/, 'a representation id followed by .m3u8'),
});
/** Manifests carry tokens bound to this profile: no shared cache may keep them. */
const PRIVATE = 'private, no-store';
const VARY = `Accept, Authorization, ${DEVICE_CAPABILITIES_HEADER}`;

const MANIFEST_HEADERS: ResponseSpec['headers'] = {
  [DROPPED_HEADER]: {
    description: 'Representations left out, as `<id>:<reason>` pairs (empty when none)',
    schema: { type: 'string' },
  },
  [FALLBACK_HEADER]: {
    description: "`stale-catalog` when built from the colo's cached copy because the origin could not answer",
    schema: { type: 'string', enum: ['stale-catalog'] },
  },
  [STREAM_ID_HEADER]: {
    description:
      "The stream this device's lease holds (one of the plan's stream slots); `DELETE /v1/streams/{id}` releases it",
    schema: { type: 'string', format: 'uuid' },
  },
};
const DEVICE_HEADERS = [
  {
    name: DEVICE_CAPABILITIES_HEADER,
    description: 'What the device plays, e.g. `codecs=avc1,vp09,mp4a; max-res=1920x1080; hdr=hdr10; max-bw=8000000`',
    schema: z.string().max(1024),
  },
];
const MANIFEST_PROBLEMS = [
  'validation_failed',
  'not_found',
  'forbidden',
  'not_playable',
  'too_many_streams',
  'origin_unavailable',
  'unavailable',
] as const;
const mpdDoc: OperationSpec = {
  operationId: 'dashManifest',
  summary: 'DASH manifest for the calling profile and device',
  description:
    'Lists what the device and the plan can play, one signed segment token per representation. `Accept: application/json` answers the same as JSON.',
  tags: ['playback'],
  security: ['profileToken'],
  params: TitleIdParams,
  query: DeviceCapabilityQuery,
  headers: DEVICE_HEADERS,
  responses: {
    200: {
      description: 'The manifest (MPD, or JSON)',
      content: { [DASH_CONTENT_TYPE]: { type: 'string' } },
      schema: PlaybackManifest,
      headers: MANIFEST_HEADERS,
    },
  },
  problems: MANIFEST_PROBLEMS,
};
const masterDoc: OperationSpec = {
  operationId: 'hlsMasterPlaylist',
  summary: 'HLS master playlist for the calling profile and device',
  description:
    "Its media playlist URLs carry each representation's segment token. Clear titles only: a protected title answers 422 `not_playable` (play its DASH manifest).",
  tags: ['playback'],
  security: ['profileToken'],
  params: TitleIdParams,
  query: DeviceCapabilityQuery,
  headers: DEVICE_HEADERS,
  responses: {
    200: {
      description: 'The playlist',
      content: { [HLS_CONTENT_TYPE]: { type: 'string' } },
      headers: MANIFEST_HEADERS,
    },
  },
  problems: MANIFEST_PROBLEMS,
};
const mediaPlaylistDoc: OperationSpec = {
  operationId: 'hlsMediaPlaylist',
  summary: 'HLS media playlist of one representation',
  description: "Fetched by the player from the master playlist's URL; the segment token there is the only credential.",
  tags: ['playback'],
  security: ['segmentToken'],
  params: PlaylistParams,
  responses: { 200: { description: 'The playlist', content: { [HLS_CONTENT_TYPE]: { type: 'string' } } } },
  problems: [
    'validation_failed',
    'forbidden',
    'session_revoked',
    'not_found',
    'not_playable',
    'origin_unavailable',
    'unavailable',
  ],
};

export const playback = new Hono<EdgeEnv>()
  .get('/:titleId/manifest.mpd', describeRoute(mpdDoc), requireUser('profile'), (c) =>
    streamStart(c, async () => {
      const { titleId } = parseOrThrow(TitleIdParams, c.req.param(), 'path');
      // The resume lookup (buffer + origin) runs while the source is fetched and filtered; it never throws.
      const resuming = resumePosition(c, profileIdentity(c), titleId);
      const prepared = await prepare(c);
      const { source, kept, dropped } = prepared;
      const [locations, resume, streamId] = await Promise.all([
        signLocations(c, prepared),
        resuming,
        takeStreamSlot(c, titleId),
      ]);
      setManifestHeaders(c, prepared, streamId);
      const licenceUrl = source.protection ? licenceUrlOf(source.titleId) : undefined;
      const protectedOptions = licenceUrl === undefined ? {} : { licenceUrl };
      if (wantsJson(c)) {
        return c.json(
          buildJsonManifest(source, { kept, dropped, locations, resumePosition: resume, ...protectedOptions }),
        );
      }
      return c.body(buildMpd(source, { kept, locations, resumePosition: resume, ...protectedOptions }), 200, {
        'content-type': DASH_CONTENT_TYPE,
      });
    }),
  )
  .get('/:titleId/master.m3u8', describeRoute(masterDoc), requireUser('profile'), (c) =>
    streamStart(c, async () => {
      const prepared = await prepare(c);
      if (prepared.source.protection) {
        // Players get HLS for clear titles only: CENC (AES-CTR) in fMP4 is what DASH + EME plays;
        // HLS players expect SAMPLE-AES/cbcs with FairPlay, which this service does not issue.
        throw new HttpError(
          'not_playable',
          'This title is protected (CENC with Clear Key licences) and is offered as DASH only: use manifest.mpd',
        );
      }
      const [locations, streamId] = await Promise.all([
        signLocations(c, prepared),
        takeStreamSlot(c, prepared.source.titleId),
      ]);
      const base = `/v1/playback/${prepared.source.titleId}/hls`;
      const playlistUris = Object.fromEntries(
        Object.entries(locations).map(([id, location]) => [id, `${base}/${id}.m3u8?${location.query ?? ''}`]),
      );
      setManifestHeaders(c, prepared, streamId);
      return c.body(buildMasterPlaylist({ kept: prepared.kept, playlistUris }), 200, {
        'content-type': HLS_CONTENT_TYPE,
      });
    }),
  )
  .get('/:titleId/hls/:file', describeRoute(mediaPlaylistDoc), async (c) => {
    const { titleId, file } = parseOrThrow(PlaylistParams, c.req.param(), 'path');
    const representationId = file.slice(0, -'.m3u8'.length);
    const token = c.req.query(SEGMENT_TOKEN_PARAM);
    if (!token) throw new HttpError('forbidden', 'Playlist URL carries no token');
    // The token before anything costs an origin call: a caller without one gets nothing looked up.
    const claims = await timed('edge_token_seconds', { kind: 'segment_verify' }, () =>
      verifySegmentClaims(token, segmentKeys(c.env)),
    );
    if (claims.tid !== titleId || claims.rid !== representationId) {
      throw new HttpError('forbidden', 'Segment token was issued for another representation');
    }
    await checkSegmentSession(c, claims);
    const { source, stale } = await playbackSource(c.env, titleId, c.get('requestId'));
    if (stale) c.header(FALLBACK_HEADER, 'stale-catalog');
    if (source.protection) throw new HttpError('not_playable', 'This title is protected and is offered as DASH only');
    const rep = representationOf(source, representationId);
    if (!rep) throw new HttpError('not_found', `Title ${titleId} has no representation ${representationId}`);
    requireCoveredPath(claims, 'storageKey' in rep ? rep.storageKey : `${rep.storagePrefix}${INIT_SEGMENT}`);
    const location = locationFor('storageKey' in rep ? rep.storageKey : rep.storagePrefix, token);
    const playlist =
      'storageKey' in rep
        ? buildSubtitlePlaylist({ durationSeconds: source.durationSeconds, location })
        : buildMediaPlaylist(rep, { durationSeconds: source.durationSeconds, location });
    c.header('cache-control', PRIVATE);
    return c.body(playlist, 200, { 'content-type': HLS_CONTENT_TYPE });
  });

interface Prepared {
  who: Identity;
  source: PlaybackSource;
  /** Built from the colo's cached catalog copy because the origin could not answer. */
  stale: boolean;
  kept: Selection;
  dropped: Dropped[];
  keys: SegmentKeySet;
}

/**
 * Everything a manifest needs before signing: the source (cached), the maturity check, the
 * device's and plan's filter. Nothing playable is a 422 `not_playable` naming why.
 */
async function prepare(c: AppContext): Promise<Prepared> {
  const { titleId } = parseOrThrow(TitleIdParams, c.req.param(), 'path');
  const who = profileIdentity(c);
  // Malformed capabilities fail before any origin call.
  const caps = parseDeviceCapabilities({ header: c.req.header(DEVICE_CAPABILITIES_HEADER), query: c.req.query() });
  const keys = segmentKeys(c.env);
  const { source, stale } = await playbackSource(c.env, titleId, c.get('requestId'));
  if (source.maturityLevel > who.maturityLevel) {
    throw new HttpError('forbidden', 'This title is above the profile\u2019s maturity level');
  }
  const plan = profileClaims(c).plan;
  // A protected title lists only what the plan may get keys for (core/protection/tiers.ts).
  const limits = source.protection ? limitsWithinKeyCeiling(planLimits(plan), plan) : planLimits(plan);
  const result = filterForDevice(source, caps, limits);
  if (!result.playable) {
    throw new HttpError('not_playable', notPlayableDetail(result), {
      headers: { [DROPPED_HEADER]: formatDropped(result.dropped) },
    });
  }
  return { who, source, stale, kept: result.kept, dropped: result.dropped, keys };
}

function setManifestHeaders(c: AppContext, prepared: Prepared, streamId: string | null): void {
  c.header('cache-control', PRIVATE);
  if (streamId !== null) c.header(STREAM_ID_HEADER, streamId);
  c.header('vary', VARY);
  c.header(DROPPED_HEADER, formatDropped(prepared.dropped));
  if (prepared.stale) c.header(FALLBACK_HEADER, 'stale-catalog');
}

/**
 * A stream start (an MPD, its JSON form or an HLS master playlist): timed as
 * `manifest_generation_seconds`, counted in `streaming_starts_total` when it succeeds, else in
 * `streaming_playback_errors_total` by the problem's code.
 */
async function streamStart(c: AppContext, build: () => Promise<Response>): Promise<Response> {
  try {
    const response = await timed('manifest_generation_seconds', {}, build);
    isolateMetrics.count('streaming_starts_total', {});
    return response;
  } catch (err) {
    isolateMetrics.count('streaming_playback_errors_total', {
      reason: err instanceof HttpError ? err.code : 'internal',
    });
    throw err;
  }
}

/** One token per kept representation, bound to its prefix (or its file, for a subtitle track). */
async function signLocations(c: AppContext, p: Prepared): Promise<Record<string, MediaLocation>> {
  const grants = [
    ...[...p.kept.encodings, ...p.kept.audioTracks].map((r) => ({ id: r.id, prefix: r.storagePrefix })),
    ...p.kept.subtitleTracks.map((s) => ({ id: s.id, prefix: s.storageKey })),
  ];
  const { sub, sid } = profileClaims(c);
  const session = sid !== undefined ? { accountId: sub, sessionId: sid } : undefined;
  const signed = await timed('edge_token_seconds', { kind: 'segment_sign' }, () =>
    Promise.all(
      grants.map(async ({ id, prefix }) => {
        const { token } = await signSegmentToken(
          {
            titleId: p.source.titleId,
            representationId: id,
            prefix,
            profileId: p.who.profileId,
            ...(session ? { session } : {}),
          },
          p.keys,
        );
        return [id, locationFor(prefix, token)] as const;
      }),
    ),
  );
  return Object.fromEntries(signed);
}

/**
 * Media is served by this worker at `/v1/<storage key>` (see routes/media.ts). The URL is a path
 * on the manifest's own origin, never built from the request's Host (see core/manifest/location.ts).
 */
function locationFor(prefix: string, token: string): MediaLocation {
  return { baseUrl: `/v1/${prefix}`, query: `${SEGMENT_TOKEN_PARAM}=${token}` };
}

/** The licence server a protected title's manifests name (routes/license.ts), a path like every manifest URL. */
function licenceUrlOf(titleId: string): string {
  return `/v1/license/clearkey?title=${titleId}`;
}

function representationOf(source: PlaybackSource, id: string) {
  return (
    source.encodings.find((e) => e.id === id) ??
    source.audioTracks.find((a) => a.id === id) ??
    source.subtitleTracks.find((s) => s.id === id)
  );
}

function wantsJson(c: AppContext): boolean {
  const accept = c.req.header('accept') ?? '';
  return /\bapplication\/json\b/i.test(accept) && !/\bapplication\/dash\+xml\b/i.test(accept);
}
