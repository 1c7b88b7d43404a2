/**
 * Video encoding ladders: the rungs (height, RFC 6381 codec string) per codec family, their
 * bitrates, and the encoding rows of one playable title.
 */
import { uuidV5 } from './random.ts';
import type { CodecFamily, DynamicRange, EncodingRow } from './tables.ts';

/** Every video and audio track is cut into segments of this length. */
export const SEGMENT_DURATION_SECONDS = 4;

/** 16:9 frame widths per rung height. */
const WIDTH_FOR_HEIGHT: Readonly<Record<number, number>> = {
  240: 426,
  360: 640,
  480: 854,
  720: 1280,
  1080: 1920,
  1440: 2560,
  2160: 3840,
};

/** Typical AVC bitrate per height in kbps; other families scale it down by FAMILY_EFFICIENCY. */
const AVC_EQUIVALENT_KBPS: Readonly<Record<number, number>> = {
  240: 300,
  360: 700,
  480: 1200,
  720: 3000,
  1080: 5800,
  1440: 13000,
  2160: 24000,
};

const FAMILY_EFFICIENCY: Readonly<Record<CodecFamily, number>> = { avc1: 1, hev1: 0.65, vp09: 0.68, av01: 0.55 };
/** 10-bit HDR costs more than SDR at the same height. */
const HDR_BITRATE_FACTOR = 1.25;

type Rung = readonly [height: number, codec: string];

/** RFC 6381 codec strings per rung; levels chosen so each rung's frame size fits. */
const LADDERS: Readonly<Record<CodecFamily, { sdr: readonly Rung[]; uhd: readonly Rung[]; hdr: readonly Rung[] }>> = {
  avc1: {
    sdr: [
      [240, 'avc1.42C01E'], // Constrained Baseline, level 3.0
      [360, 'avc1.42C01E'],
      [480, 'avc1.4D401F'], // Main, level 3.1
      [720, 'avc1.4D401F'],
      [1080, 'avc1.640028'], // High, level 4.0
    ],
    uhd: [], // AVC stops at 1080p.
    hdr: [],
  },
  hev1: {
    sdr: [
      [360, 'hev1.1.6.L63.B0'], // Main, level 2.1
      [480, 'hev1.1.6.L90.B0'], // level 3
      [720, 'hev1.1.6.L93.B0'], // level 3.1
      [1080, 'hev1.1.6.L120.B0'], // level 4
    ],
    uhd: [
      [1440, 'hev1.1.6.L150.B0'], // level 5
      [2160, 'hev1.1.6.L150.B0'],
    ],
    hdr: [
      [1080, 'hev1.2.4.L123.B0'], // Main 10, level 4.1
      [2160, 'hev1.2.4.L153.B0'], // Main 10, level 5.1
    ],
  },
  vp09: {
    sdr: [
      [360, 'vp09.00.21.08'],
      [480, 'vp09.00.30.08'],
      [720, 'vp09.00.31.08'],
      [1080, 'vp09.00.40.08'],
    ],
    uhd: [
      [1440, 'vp09.00.50.08'],
      [2160, 'vp09.00.51.08'],
    ],
    hdr: [[2160, 'vp09.02.51.10.01.09.16.09.00']], // profile 2, 10-bit, BT.2020 / PQ
  },
  av01: {
    sdr: [
      [240, 'av01.0.00M.08'],
      [360, 'av01.0.01M.08'],
      [480, 'av01.0.04M.08'],
      [720, 'av01.0.05M.08'],
      [1080, 'av01.0.08M.08'],
    ],
    uhd: [
      [1440, 'av01.0.12M.08'],
      [2160, 'av01.0.12M.08'],
    ],
    hdr: [
      [1080, 'av01.0.08M.10.0.110.09.16.09.0'],
      [2160, 'av01.0.12M.10.0.110.09.16.09.0'],
    ],
  },
};

/** Frame rates with their weights: most film is 23.976 fps. */
export const FRAME_RATES: readonly (readonly [string, number])[] = [
  ['24000/1001', 0.55],
  ['24', 0.15],
  ['25', 0.15],
  ['30', 0.15],
];

/** How a top-level title is encoded; its episodes share it. */
export interface VideoProfile {
  frameRate: string;
  /** Per-title encoding complexity: scales bitrates (animation is cheap, grain is not). */
  complexity: number;
  families: readonly CodecFamily[];
  uhd: boolean;
  hdr: boolean;
}

function kbpsToBps(kbps: number): number {
  return Math.max(1000, Math.round(kbps) * 1000);
}

/** One row per rung of each of the title's families; `jitter` varies bitrates a little per title. */
export function encodingRows(
  ns: string,
  titleId: string,
  segmentCount: number,
  video: VideoProfile,
  jitter: number,
): EncodingRow[] {
  const rows: EncodingRow[] = [];
  for (const family of video.families) {
    const ladder = LADDERS[family];
    const rungs: (readonly [number, string, DynamicRange])[] = [
      ...ladder.sdr.map(([h, c]) => [h, c, 'SDR'] as const),
      ...(video.uhd ? ladder.uhd.map(([h, c]) => [h, c, 'SDR'] as const) : []),
      ...(video.hdr ? ladder.hdr.map(([h, c]) => [h, c, 'HDR10'] as const) : []),
    ];
    for (const [height, codec, range] of rungs) {
      const kbps =
        (AVC_EQUIVALENT_KBPS[height] ?? 1000) *
        FAMILY_EFFICIENCY[family] *
        (range === 'SDR' ? 1 : HDR_BITRATE_FACTOR) *
        video.complexity *
        jitter;
      rows.push({
        id: uuidV5(ns, `encoding:${titleId}:${family}:${height}:${range}`),
        title_id: titleId,
        codec,
        codec_family: family,
        width: WIDTH_FOR_HEIGHT[height] ?? Math.round((height * 16) / 9),
        height,
        bandwidth: kbpsToBps(kbps),
        frame_rate: video.frameRate,
        dynamic_range: range,
        segment_duration_seconds: SEGMENT_DURATION_SECONDS,
        segment_count: segmentCount,
        storage_prefix: `media/${titleId}/${family}-${height}p-${range.toLowerCase()}/`,
      });
    }
  }
  return rows;
}
