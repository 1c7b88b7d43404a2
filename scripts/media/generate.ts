/**
 * Generates one demo title's media with ffmpeg: a test pattern with the title, the rendition and a
 * running timecode burnt in, a tone per audio language, WebVTT subtitles with a cue every segment.
 * Every video and audio representation lands in its own folder as `init.mp4` + `seg-<n>.m4s`
 * (4-second fMP4/CMAF segments); `media.json` beside them describes what was made.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { StackError } from '../stack/errors.ts';
import { FONT_FILE, ffmpegWithProgress } from './ffmpeg.ts';
import {
  AUDIO_SAMPLE_RATE,
  AUDIO_TRACKS,
  FRAME_RATE,
  GENERATOR_VERSION,
  GOP_FRAMES,
  SEGMENT_SECONDS,
  SOURCE_SIZE,
  SUBTITLE_TRACKS,
  VIDEO_LADDER,
  audioDir,
  parametersHash,
  videoDir,
  type AudioSpec,
  type VideoRung,
} from './ladder.ts';

export const MEDIA_JSON = 'media.json';
/** AAC's priming frame (1024 samples) would spill a sliver into one more segment: end the tone this much early. */
const AUDIO_TAIL_TRIM_S = 0.03;

export interface GeneratedFile {
  /** Relative to the title's folder, e.g. `avc1-720p-sdr/seg-3.m4s`. */
  path: string;
  size: number;
  contentType: string;
}

interface GeneratedRepresentation {
  dir: string;
  /** RFC 6381, as ffmpeg's DASH muxer wrote it for these bytes. */
  codec: string;
  /** Peak segment bitrate in bits per second, measured from the files. */
  bandwidth: number;
  segmentCount: number;
}

export interface GeneratedVideo extends GeneratedRepresentation {
  family: VideoRung['family'];
  width: number;
  height: number;
  frameRate: string;
}

export interface GeneratedAudio extends GeneratedRepresentation, Omit<AudioSpec, 'frequency' | 'kbps'> {
  channels: number;
  sampleRate: number;
}

export interface GeneratedSubtitle {
  language: string;
  label: string;
  kind: 'subtitles' | 'captions';
  file: string;
}

/** The description of one generated title (`media.json`). */
export interface GeneratedTitle {
  generatorVersion: number;
  paramsHash: string;
  titleId: string;
  name: string;
  durationSeconds: number;
  segmentDurationSeconds: number;
  video: GeneratedVideo[];
  audio: GeneratedAudio[];
  subtitles: GeneratedSubtitle[];
  files: GeneratedFile[];
  /** Wall time of the generation, for the record. */
  generationSeconds: number;
}

export interface GenerateOptions {
  /** Folder of all generated titles (`.edgeflix/media`); this title goes in `<outDir>/<titleId>`. */
  outDir: string;
  durationSeconds: number;
  force?: boolean;
  /** Called as each representation's encode advances (fraction 0..1) and when it ends. */
  onProgress?: (representation: string, fraction: number, done: boolean) => void;
}

/** The cached description of a title, when its files exist and were made with these parameters. */
export function cachedTitle(dir: string, paramsHash: string): GeneratedTitle | undefined {
  const file = join(dir, MEDIA_JSON);
  if (!existsSync(file)) return undefined;
  let meta: GeneratedTitle;
  try {
    meta = JSON.parse(readFileSync(file, 'utf8')) as GeneratedTitle;
  } catch {
    return undefined;
  }
  if (meta.paramsHash !== paramsHash || meta.generatorVersion !== GENERATOR_VERSION) return undefined;
  const intact = meta.files.every((f) => {
    try {
      return statSync(join(dir, f.path)).size === f.size;
    } catch {
      return false;
    }
  });
  return intact ? meta : undefined;
}

/** Generates (or finds cached) media for one title. */
export async function generateTitle(
  title: { id: string; name: string },
  options: GenerateOptions,
): Promise<{ media: GeneratedTitle; cached: boolean }> {
  const duration = options.durationSeconds;
  const hash = parametersHash(title, duration);
  const finalDir = join(options.outDir, title.id);
  if (!options.force) {
    const cached = cachedTitle(finalDir, hash);
    if (cached) return { media: cached, cached: true };
  }
  const started = Date.now();
  // Build next to the final folder and swap it in at the end: an interrupted run leaves no
  // half-written title that could pass for a cached one.
  const work = `${finalDir}.partial`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'title.txt'), title.name);

  const expectedSegments = Math.ceil(duration / SEGMENT_SECONDS - 1e-9);
  const video: GeneratedVideo[] = [];
  for (const rung of VIDEO_LADDER) {
    const dir = videoDir(rung);
    await encode(work, dir, videoArgs(rung, duration), duration, options);
    const rep = readRepresentation(work, dir, expectedSegments, duration);
    video.push({
      ...rep,
      family: rung.family,
      width: rep.width ?? rung.width,
      height: rep.height ?? rung.height,
      frameRate: String(FRAME_RATE),
    });
  }
  const audio: GeneratedAudio[] = [];
  for (const spec of AUDIO_TRACKS) {
    const dir = audioDir(spec);
    await encode(work, dir, audioArgs(spec, duration), duration, options);
    const { frequency: _f, kbps: _k, ...described } = spec;
    const rep = readRepresentation(work, dir, expectedSegments, duration);
    audio.push({
      dir: rep.dir,
      codec: rep.codec,
      bandwidth: rep.bandwidth,
      segmentCount: rep.segmentCount,
      ...described,
      channels: 2,
      sampleRate: AUDIO_SAMPLE_RATE,
    });
  }
  const subtitles: GeneratedSubtitle[] = SUBTITLE_TRACKS.map((spec) => {
    const file = `${spec.name}.vtt`;
    writeFileSync(join(work, file), webVtt(duration, spec.cue));
    return { language: spec.language, label: spec.label, kind: spec.kind, file };
  });

  const files: GeneratedFile[] = [];
  for (const rep of video) files.push(...representationFiles(work, rep.dir, 'video/mp4'));
  for (const rep of audio) files.push(...representationFiles(work, rep.dir, 'audio/mp4'));
  for (const sub of subtitles) {
    files.push({ path: sub.file, size: statSync(join(work, sub.file)).size, contentType: 'text/vtt; charset=utf-8' });
  }
  const media: GeneratedTitle = {
    generatorVersion: GENERATOR_VERSION,
    paramsHash: hash,
    titleId: title.id,
    name: title.name,
    durationSeconds: duration,
    segmentDurationSeconds: SEGMENT_SECONDS,
    video,
    audio,
    subtitles,
    files,
    generationSeconds: Math.round((Date.now() - started) / 100) / 10,
  };
  writeFileSync(join(work, MEDIA_JSON), `${JSON.stringify(media, null, 2)}\n`);
  rmSync(finalDir, { recursive: true, force: true });
  renameSync(work, finalDir);
  return { media, cached: false };
}

async function encode(
  work: string,
  dir: string,
  args: string[],
  duration: number,
  options: GenerateOptions,
): Promise<void> {
  const cwd = join(work, dir);
  mkdirSync(cwd, { recursive: true });
  options.onProgress?.(dir, 0, false);
  await ffmpegWithProgress(args, duration, (fraction) => options.onProgress?.(dir, fraction, false), { cwd });
  options.onProgress?.(dir, 1, true);
}

/** The DASH muxer writes exactly `init.mp4` and `seg-1.m4s`… into the current folder. */
const DASH_OUTPUT = [
  '-f',
  'dash',
  '-dash_segment_type',
  'mp4',
  '-seg_duration',
  String(SEGMENT_SECONDS),
  // Without a timeline the muxer cuts at n × 4 s exactly, matching SegmentTemplate@duration.
  '-use_template',
  '1',
  '-use_timeline',
  '0',
  '-single_file',
  '0',
  '-init_seg_name',
  'init.mp4',
  '-media_seg_name',
  'seg-$Number$.m4s',
  'manifest.mpd',
];

function drawtext(options: string): string {
  return `drawtext=fontfile=${FONT_FILE}:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=10:${options}`;
}

function videoArgs(rung: VideoRung, duration: number): string[] {
  const label = `${rung.family === 'avc1' ? 'H.264' : 'VP9'} ${rung.height}p`;
  const graph = [
    `testsrc2=size=${SOURCE_SIZE.width}x${SOURCE_SIZE.height}:rate=${FRAME_RATE}`,
    // The title comes from a file (run in the representation's folder), so no name needs escaping.
    drawtext('textfile=../title.txt:expansion=none:fontsize=44:x=(w-tw)/2:y=50'),
    drawtext(`text='${label}':expansion=none:fontsize=40:x=40:y=h-110`),
    drawtext("text='%{pts\\:hms}':fontsize=72:x=(w-tw)/2:y=(h-th)/2"),
    `scale=${rung.width}:${rung.height}:flags=bicubic`,
    'format=yuv420p',
  ].join(',');
  const kbps = rung.kbps;
  const codec =
    rung.family === 'avc1'
      ? ['-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'main', '-sc_threshold', '0']
      : ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-row-mt', '1', '-lag-in-frames', '0'];
  return [
    '-f',
    'lavfi',
    '-i',
    graph,
    '-t',
    String(duration),
    '-an',
    ...codec,
    '-b:v',
    `${kbps}k`,
    '-maxrate',
    `${Math.round(kbps * 1.5)}k`,
    '-bufsize',
    `${kbps * 2}k`,
    '-g',
    String(GOP_FRAMES),
    '-keyint_min',
    String(GOP_FRAMES),
    ...DASH_OUTPUT,
  ];
}

function audioArgs(spec: AudioSpec, duration: number): string[] {
  return [
    '-f',
    'lavfi',
    '-i',
    // A tone with a short higher beep every second: easy to hear that playback advances.
    `sine=frequency=${spec.frequency}:beep_factor=2:sample_rate=${AUDIO_SAMPLE_RATE}`,
    '-t',
    (duration - AUDIO_TAIL_TRIM_S).toFixed(3),
    '-vn',
    '-c:a',
    'aac',
    '-b:a',
    `${spec.kbps}k`,
    '-ac',
    '2',
    '-ar',
    String(AUDIO_SAMPLE_RATE),
    '-metadata:s:a:0',
    `language=${spec.language}`,
    ...DASH_OUTPUT,
  ];
}

/** Reads what ffmpeg made in one representation's folder and checks its segment layout. */
function readRepresentation(
  work: string,
  dir: string,
  expectedSegments: number,
  duration: number,
): GeneratedRepresentation & { width?: number; height?: number } {
  const folder = join(work, dir);
  const mpd = readFileSync(join(folder, 'manifest.mpd'), 'utf8');
  const codec = /\bcodecs="([^"]+)"/.exec(mpd)?.[1];
  if (!codec) throw new StackError(`media: ${dir}: ffmpeg's manifest names no codecs`);
  const width = /\bwidth="(\d+)"/.exec(mpd)?.[1];
  const height = /\bheight="(\d+)"/.exec(mpd)?.[1];

  const segments = readdirSync(folder)
    .map((f) => /^seg-(\d+)\.m4s$/.exec(f)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
  const contiguous = segments.every((n, i) => n === i + 1);
  if (!existsSync(join(folder, 'init.mp4')) || segments.length !== expectedSegments || !contiguous) {
    throw new StackError(
      `media: ${dir}: expected init.mp4 and seg-1..${expectedSegments}.m4s, found ${segments.length} segments`,
    );
  }
  let peak = 0;
  for (const n of segments) {
    const seconds = Math.min(SEGMENT_SECONDS, duration - (n - 1) * SEGMENT_SECONDS);
    const bits = statSync(join(folder, `seg-${n}.m4s`)).size * 8;
    peak = Math.max(peak, bits / Math.max(seconds, 1));
  }
  return {
    dir,
    codec,
    bandwidth: Math.ceil(peak),
    segmentCount: segments.length,
    ...(width ? { width: Number(width) } : {}),
    ...(height ? { height: Number(height) } : {}),
  };
}

function representationFiles(work: string, dir: string, contentType: string): GeneratedFile[] {
  return readdirSync(join(work, dir))
    .filter((f) => f === 'init.mp4' || /^seg-\d+\.m4s$/.test(f))
    .sort((a, b) => segmentOrder(a) - segmentOrder(b))
    .map((f) => ({ path: `${dir}/${f}`, size: statSync(join(work, dir, f)).size, contentType }));
}

function segmentOrder(file: string): number {
  return file === 'init.mp4' ? 0 : Number(/\d+/.exec(file)?.[0] ?? 0);
}

/** A WebVTT file with one cue per segment, shown for most of it. */
export function webVtt(durationSeconds: number, cue: (n: number, time: string) => string): string {
  const lines = ['WEBVTT', ''];
  for (let n = 1, start = 0; start < durationSeconds; n++, start += SEGMENT_SECONDS) {
    const end = Math.min(start + SEGMENT_SECONDS - 0.5, durationSeconds);
    lines.push(String(n), `${vttTime(start)} --> ${vttTime(end)}`, cue(n, vttTime(start).slice(0, 8)), '');
  }
  return lines.join('\n');
}

function vttTime(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms % 1000, 3)}`;
}
