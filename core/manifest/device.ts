/**
 * What a device says it can play, and which representations of a title survive it (and the
 * account's plan). Every representation left out is reported with a stable reason string.
 *
 * The client form, in a request header and/or query parameters (the same keys in both; a query
 * parameter overrides the header's key, for players that cannot set headers):
 *
 *   X-Device-Capabilities: codecs=avc1,vp09,av01,mp4a,ec-3; max-res=1920x1080; hdr=hdr10,hlg; max-bw=8000000
 *   ?codecs=avc1,vp09&max-res=1280x720&hdr=none&max-bw=3000000
 *
 * - `codecs`: comma-separated codec families (`avc1`, `hev1`, `hvc1`, `vp09`, `av01`, `mp4a`,
 *   `ec-3`, `ac-3`, `opus`, …) and/or exact RFC 6381 strings (`avc1.640028`). A family covers every
 *   string of that family; an exact string covers only itself (case-insensitive). A browser
 *   learns both from `MediaSource.isTypeSupported` / `navigator.mediaCapabilities`.
 * - `max-res`: `<width>x<height>`, the largest frame the device should get.
 * - `hdr`: comma-separated `hdr10`, `hlg`, `dv`, or `none`.
 * - `max-bw`: bits per second; representations above it are left out.
 * Directives are separated by `;`, keys are case-insensitive, unknown keys are ignored (so clients
 * can send newer keys to older edges); a malformed known key is a 400.
 *
 * Absent keys take the defaults every device plays: avc1 video, AAC-LC (mp4a) audio, up to
 * 1920x1080, SDR, no bandwidth cap. AAC-LC is always assumed playable.
 */
import { z } from 'zod';

import { HttpError, type FieldError } from '../problem.ts';
import type { AudioTrack, PlaybackSource, Selection, VideoEncoding } from './source.ts';

export const DEVICE_CAPABILITIES_HEADER = 'x-device-capabilities';

const CodecEntry = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{0,63}$/, 'a codec family or RFC 6381 codecs string (lower case)');

export const DeviceCapabilities = z.strictObject({
  /** Lower-case codec families and/or exact codec strings. */
  codecs: z.array(CodecEntry).min(1).max(32),
  maxWidth: z.number().int().positive().max(16_384),
  maxHeight: z.number().int().positive().max(16_384),
  hdr: z.strictObject({ hdr10: z.boolean(), hlg: z.boolean(), dv: z.boolean() }),
  maxBandwidth: z.number().int().positive().optional(),
});
export type DeviceCapabilities = z.infer<typeof DeviceCapabilities>;

/** Codec families every device plays. */
const BASELINE_CODECS = ['avc1', 'mp4a'] as const;
/** Audio families a device is assumed to play even when it lists only video codecs. */
const ALWAYS_AUDIO = 'mp4a';

export const DEFAULT_DEVICE_CAPABILITIES: DeviceCapabilities = Object.freeze({
  codecs: [...BASELINE_CODECS],
  maxWidth: 1920,
  maxHeight: 1080,
  hdr: Object.freeze({ hdr10: false, hlg: false, dv: false }),
});

const MAX_FORM_LENGTH = 1024;
const KEYS = ['codecs', 'max-res', 'hdr', 'max-bw'] as const;
type Key = (typeof KEYS)[number];

/** Query parameters in whatever form the caller has them. */
export type QueryLike = URLSearchParams | Readonly<Record<string, string | undefined>>;

/**
 * Parses the header and/or query form above into capabilities (defaults for absent keys).
 * Throws `HttpError('validation_failed')` naming each bad key.
 */
export function parseDeviceCapabilities(input: {
  header?: string | null | undefined;
  query?: QueryLike | undefined;
}): DeviceCapabilities {
  const raw = new Map<Key, { value: string; source: string }>();
  const errors: FieldError[] = [];
  const header = input.header?.trim();
  if (header) {
    if (header.length > MAX_FORM_LENGTH) {
      errors.push({
        path: `header.${DEVICE_CAPABILITIES_HEADER}`,
        message: `longer than ${MAX_FORM_LENGTH} characters`,
      });
    } else {
      for (const directive of header.split(';')) {
        if (directive.trim() === '') continue;
        const eq = directive.indexOf('=');
        const key = (eq < 0 ? directive : directive.slice(0, eq)).trim().toLowerCase();
        if (!isKey(key)) continue;
        if (eq < 0) {
          errors.push({ path: `header.${DEVICE_CAPABILITIES_HEADER}.${key}`, message: 'expected key=value' });
          continue;
        }
        raw.set(key, { value: directive.slice(eq + 1).trim(), source: `header.${DEVICE_CAPABILITIES_HEADER}.${key}` });
      }
    }
  }
  for (const key of KEYS) {
    const value = queryValue(input.query, key);
    if (value === undefined) continue;
    if (value.length > MAX_FORM_LENGTH) errors.push({ path: `query.${key}`, message: 'too long' });
    else raw.set(key, { value: value.trim(), source: `query.${key}` });
  }

  const caps: DeviceCapabilities = {
    ...DEFAULT_DEVICE_CAPABILITIES,
    codecs: [...DEFAULT_DEVICE_CAPABILITIES.codecs],
    hdr: { ...DEFAULT_DEVICE_CAPABILITIES.hdr },
  };
  for (const [key, { value, source }] of raw) {
    const problem = applyDirective(caps, key, value);
    if (problem) errors.push({ path: source, message: problem });
  }
  if (errors.length > 0) {
    throw new HttpError('validation_failed', 'Device capabilities are malformed', { errors });
  }
  return caps;
}

function isKey(key: string): key is Key {
  return (KEYS as readonly string[]).includes(key);
}

function queryValue(query: QueryLike | undefined, key: string): string | undefined {
  if (!query) return undefined;
  if (query instanceof URLSearchParams) return query.get(key) ?? undefined;
  return query[key];
}

/** Applies one directive; returns a message when the value is malformed. */
function applyDirective(caps: DeviceCapabilities, key: Key, value: string): string | undefined {
  switch (key) {
    case 'codecs': {
      const list = splitList(value);
      if (list.length === 0 || list.length > 32) return 'expected 1 to 32 comma-separated codecs';
      const parsed = z.array(CodecEntry).safeParse(list);
      if (!parsed.success) return 'expected codec families or RFC 6381 codecs strings, e.g. avc1,vp09,mp4a';
      caps.codecs = [...new Set(parsed.data)];
      return undefined;
    }
    case 'max-res': {
      const match = /^(\d{1,5})x(\d{1,5})$/i.exec(value);
      const width = Number(match?.[1]);
      const height = Number(match?.[2]);
      if (!match || width < 1 || height < 1 || width > 16_384 || height > 16_384) {
        return 'expected <width>x<height>, e.g. 1920x1080';
      }
      caps.maxWidth = width;
      caps.maxHeight = height;
      return undefined;
    }
    case 'hdr': {
      const list = splitList(value);
      const hdr = { hdr10: false, hlg: false, dv: false };
      for (const item of list) {
        if (item === 'hdr10' || item === 'hlg' || item === 'dv') hdr[item] = true;
        else if (item !== 'none' && item !== 'sdr') return 'expected hdr10, hlg, dv or none';
      }
      caps.hdr = hdr;
      return undefined;
    }
    case 'max-bw': {
      if (!/^\d{1,10}$/.test(value) || Number(value) < 1) return 'expected bits per second, e.g. 8000000';
      caps.maxBandwidth = Number(value);
      return undefined;
    }
  }
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
}

/** The compact header form of capabilities (what `parseDeviceCapabilities` reads back). */
export function formatDeviceCapabilities(caps: DeviceCapabilities): string {
  const hdr = (['hdr10', 'hlg', 'dv'] as const).filter((k) => caps.hdr[k]);
  const parts = [
    `codecs=${caps.codecs.join(',')}`,
    `max-res=${caps.maxWidth}x${caps.maxHeight}`,
    `hdr=${hdr.length > 0 ? hdr.join(',') : 'none'}`,
  ];
  if (caps.maxBandwidth !== undefined) parts.push(`max-bw=${caps.maxBandwidth}`);
  return parts.join('; ');
}

/** Why a representation was left out. Stable strings: clients and tests switch on them. */
export const DROP_REASONS = [
  'codec-unsupported',
  'hdr-unsupported',
  'hdr-not-in-plan',
  'resolution-above-plan',
  'resolution-above-device',
  'bandwidth-above-device',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export interface Dropped {
  id: string;
  kind: 'video' | 'audio';
  reason: DropReason;
}

/** What the account's plan allows (from `plans`): the edge has it in the profile token's plan id. */
export interface PlanLimits {
  maxHeightFromPlan?: number;
  hdrFromPlan?: boolean;
}

export type FilterResult =
  | { playable: true; kept: Selection; dropped: Dropped[] }
  | {
      playable: false;
      kept: Selection;
      dropped: Dropped[];
      /** What is missing: no video, or no audio, could be kept. */
      missing: ('video' | 'audio')[];
      /** Every distinct reason behind the drops, in `DROP_REASONS` order. */
      reasons: DropReason[];
    };

/**
 * Splits a title's representations into those the device (and plan) can play and those it
 * cannot, each with the first reason that rules it out (checked in `DROP_REASONS` order).
 * Subtitles are text and always kept. Nothing playable (no video, or audio tracks exist but none
 * is playable) gives `playable: false`, for a 406 problem that names the reasons.
 */
export function filterForDevice(source: PlaybackSource, caps: DeviceCapabilities, plan: PlanLimits = {}): FilterResult {
  const supports = codecMatcher(caps.codecs);
  const dropped: Dropped[] = [];
  const encodings: VideoEncoding[] = [];
  for (const encoding of source.encodings) {
    const reason = videoDropReason(encoding, caps, plan, supports);
    if (reason) dropped.push({ id: encoding.id, kind: 'video', reason });
    else encodings.push(encoding);
  }
  const audioTracks: AudioTrack[] = [];
  for (const track of source.audioTracks) {
    const reason = audioDropReason(track, caps, supports);
    if (reason) dropped.push({ id: track.id, kind: 'audio', reason });
    else audioTracks.push(track);
  }
  const kept: Selection = { encodings, audioTracks, subtitleTracks: [...source.subtitleTracks] };
  const missing: ('video' | 'audio')[] = [];
  if (encodings.length === 0) missing.push('video');
  if (audioTracks.length === 0 && source.audioTracks.length > 0) missing.push('audio');
  if (missing.length === 0) return { playable: true, kept, dropped };
  const seen = new Set(dropped.map((d) => d.reason));
  return { playable: false, kept, dropped, missing, reasons: DROP_REASONS.filter((r) => seen.has(r)) };
}

function videoDropReason(
  encoding: VideoEncoding,
  caps: DeviceCapabilities,
  plan: PlanLimits,
  supports: (codec: string) => boolean,
): DropReason | undefined {
  if (!supports(encoding.codec)) return 'codec-unsupported';
  if (encoding.dynamicRange !== 'SDR') {
    if (!deviceHdr(caps, encoding.dynamicRange)) return 'hdr-unsupported';
    if (plan.hdrFromPlan === false) return 'hdr-not-in-plan';
  }
  if (plan.maxHeightFromPlan !== undefined && encoding.height > plan.maxHeightFromPlan) return 'resolution-above-plan';
  if (encoding.width > caps.maxWidth || encoding.height > caps.maxHeight) return 'resolution-above-device';
  if (caps.maxBandwidth !== undefined && encoding.bandwidth > caps.maxBandwidth) return 'bandwidth-above-device';
  return undefined;
}

function audioDropReason(
  track: AudioTrack,
  caps: DeviceCapabilities,
  supports: (codec: string) => boolean,
): DropReason | undefined {
  if (!supports(track.codec)) return 'codec-unsupported';
  if (caps.maxBandwidth !== undefined && track.bandwidth > caps.maxBandwidth) return 'bandwidth-above-device';
  return undefined;
}

function deviceHdr(caps: DeviceCapabilities, range: Exclude<VideoEncoding['dynamicRange'], 'SDR'>): boolean {
  switch (range) {
    case 'HDR10':
      return caps.hdr.hdr10;
    case 'HLG':
      return caps.hdr.hlg;
    case 'DV':
      return caps.hdr.dv;
  }
}

/** The family of an RFC 6381 string: what comes before the first dot (`avc1`, `mp4a`, `ec-3`). */
export function codecFamilyOf(codec: string): string {
  const dot = codec.indexOf('.');
  return (dot < 0 ? codec : codec.slice(0, dot)).toLowerCase();
}

function codecMatcher(entries: readonly string[]): (codec: string) => boolean {
  const families = new Set<string>([ALWAYS_AUDIO]);
  const exact = new Set<string>();
  for (const entry of entries) (entry.includes('.') ? exact : families).add(entry.toLowerCase());
  return (codec) => {
    const lower = codec.toLowerCase();
    return exact.has(lower) || families.has(codecFamilyOf(lower));
  };
}

/** The detail of the 406 problem for a title the device cannot play, naming what is missing and why. */
export function notPlayableDetail(result: Extract<FilterResult, { playable: false }>): string {
  const what = result.missing.join(' or ');
  const why = result.reasons.length > 0 ? result.reasons.join(', ') : 'the title has none';
  return `This device can play no ${what} of this title (${why})`;
}

/**
 * A response header value listing what was left out, e.g.
 * `X-Dropped-Representations: 3f…=codec-unsupported, 9a…=resolution-above-plan` (empty when nothing was).
 */
export function formatDropped(dropped: readonly Dropped[]): string {
  return dropped.map((d) => `${d.id}=${d.reason}`).join(', ');
}

export const DROPPED_HEADER = 'x-dropped-representations';
