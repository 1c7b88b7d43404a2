/**
 * Generates one demo title's media with ffmpeg: a test pattern with the title, the rendition and a
 * running timecode burnt in, a tone per audio language, WebVTT subtitles with a cue every segment.
 * Every video and audio representation lands in its own folder as `init.mp4` + `seg-<n>.m4s`
 * (4-second fMP4/CMAF segments) with a `representation.json` describing it; `media.json` beside
 * them describes the title as last generated.
 *
 * Each representation is cached on its own, so a title can be made in steps (the first
 * representations, then the rest) and an interrupted run keeps what it finished.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

import { StackError } from '../stack/errors.ts';
import { ffmpegWithProgress, findMediaTools, type MediaTools } from './ffmpeg.ts';
import {
  ALL_REPRESENTATIONS,
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
const REPRESENTATION_JSON = 'representation.json';
/** The overlay font, copied beside the titles so ffmpeg gets a relative path that needs no escaping. */
const FONT_COPY = 'overlay-font.ttf';
/** `fontfile=` as seen from a representation's folder while it is encoded (`<outDir>/<title>/<dir>.partial`). */
const FONT_FROM_ENCODE_DIR = `../../${FONT_COPY}`;
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

/** The description of one generated title (`media.json`): the representations asked for, every subtitle. */
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
  /** Wall time spent encoding in this call (0 when every representation was cached), for the record. */
  generationSeconds: number;
}

/** `representation.json`: one encoded representation and its files. */
type CachedRepresentation =
  | { paramsHash: string; kind: 'video'; video: GeneratedVideo; files: GeneratedFile[] }
  | { paramsHash: string; kind: 'audio'; audio: GeneratedAudio; files: GeneratedFile[] };

export interface GenerateOptions {
  /** Folder of all generated titles (`.edgeflix/media`); this title goes in `<outDir>/<titleId>`. */
  outDir: string;
  durationSeconds: number;
  /** Representation folders to make and describe (default: all, see ladder.ts). */
  representations?: readonly string[];
  /** ffmpeg and friends (default: found with findMediaTools). */
  tools?: MediaTools;
  /** Called as each representation's encode advances (fraction 0..1) and when it ends. */
  onProgress?: (representation: string, fraction: number, done: boolean) => void;
  /** Stops the encode under way (its ffmpeg is killed; finished representations stay cached). */
  signal?: AbortSignal;
}

export interface GenerateResult {
  media: GeneratedTitle;
  /** True when nothing had to be encoded. */
  cached: boolean;
  /** The representation folders encoded by this call. */
  encoded: string[];
}

/** Drops a title's cached files, so the next generateTitle encodes everything again. */
export function clearCachedTitle(outDir: string, titleId: string): void {
  rmSync(join(outDir, titleId), { recursive: true, force: true });
}

function readCached(dir: string, paramsHash: string): CachedRepresentation | undefined {
  let cached: CachedRepresentation;
  try {
    cached = JSON.parse(readFileSync(join(dir, REPRESENTATION_JSON), 'utf8')) as CachedRepresentation;
  } catch {
    return undefined;
  }
  if (cached.paramsHash !== paramsHash) return undefined;
  const titleDir = join(dir, '..');
  const intact = cached.files.every((f) => {
    try {
      return statSync(join(titleDir, f.path)).size === f.size;
    } catch {
      return false;
    }
  });
  return intact ? cached : undefined;
}

/** Which of `representations` still need encoding for `title` (none when its cache is current). */
export function missingRepresentations(
  title: { id: string; name: string },
  options: Pick<GenerateOptions, 'outDir' | 'durationSeconds' | 'representations'>,
): string[] {
  const hash = parametersHash(title, options.durationSeconds);
  const titleDir = join(options.outDir, title.id);
  return (options.representations ?? ALL_REPRESENTATIONS).filter((dir) => !readCached(join(titleDir, dir), hash));
}

/** Writes `file` unless it already holds exactly `text` (so cached files keep their times). */
function writeIfChanged(file: string, text: string): void {
  try {
    if (readFileSync(file, 'utf8') === text) return;
  } catch {
    // missing: write it
  }
  writeFileSync(file, text);
}

function copyIfChanged(from: string, to: string): void {
  if (existsSync(to) && statSync(to).size === statSync(from).size) return;
  copyFileSync(from, to);
}

/** Generates (or finds cached) the asked-for representations of one title, plus its subtitles. */
export async function generateTitle(
  title: { id: string; name: string },
  options: GenerateOptions,
): Promise<GenerateResult> {
  const duration = options.durationSeconds;
  const hash = parametersHash(title, duration);
  const titleDir = join(options.outDir, title.id);
  const wanted = new Set(options.representations ?? ALL_REPRESENTATIONS);
  for (const dir of wanted) {
    if (!ALL_REPRESENTATIONS.includes(dir)) throw new StackError(`media: no representation named ${dir}`);
  }
  mkdirSync(titleDir, { recursive: true });
  writeIfChanged(join(titleDir, 'title.txt'), title.name);

  const started = Date.now();
  const expectedSegments = Math.ceil(duration / SEGMENT_SECONDS - 1e-9);
  const encoded: string[] = [];
  const video: GeneratedVideo[] = [];
  const audio: GeneratedAudio[] = [];
  let tools = options.tools;
  const encodeOnce = async (dir: string, args: () => string[]): Promise<string> => {
    tools ??= await findMediaTools();
    if (!tools)
      throw new StackError('media: ffmpeg is not available (run "npm install", or see scripts/media/ffmpeg.ts)');
    copyIfChanged(tools.font, join(options.outDir, FONT_COPY));
    // Encode next to the final folder and swap it in at the end: an interrupted run leaves no
    // half-written representation that could pass for a cached one.
    const work = join(titleDir, `${dir}.partial`);
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    options.onProgress?.(dir, 0, false);
    await ffmpegWithProgress(tools, args(), duration, (f) => options.onProgress?.(dir, f, false), {
      cwd: work,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    options.onProgress?.(dir, 1, true);
    encoded.push(dir);
    return work;
  };
  const swapIn = (work: string, dir: string, cached: CachedRepresentation) => {
    writeFileSync(join(work, REPRESENTATION_JSON), `${JSON.stringify(cached, null, 2)}\n`);
    rmSync(join(titleDir, dir), { recursive: true, force: true });
    renameSync(work, join(titleDir, dir));
  };

  for (const rung of VIDEO_LADDER) {
    const dir = videoDir(rung);
    if (!wanted.has(dir)) continue;
    const hit = readCached(join(titleDir, dir), hash);
    if (hit?.kind === 'video') {
      video.push(hit.video);
      continue;
    }
    const work = await encodeOnce(dir, () => videoArgs(rung, duration));
    const rep = readRepresentation(work, dir, expectedSegments, duration);
    const described: GeneratedVideo = {
      dir,
      codec: rep.codec,
      bandwidth: rep.bandwidth,
      segmentCount: rep.segmentCount,
      family: rung.family,
      width: rep.width ?? rung.width,
      height: rep.height ?? rung.height,
      frameRate: String(FRAME_RATE),
    };
    swapIn(work, dir, {
      paramsHash: hash,
      kind: 'video',
      video: described,
      files: representationFiles(work, dir, 'video/mp4'),
    });
    video.push(described);
  }
  for (const spec of AUDIO_TRACKS) {
    const dir = audioDir(spec);
    if (!wanted.has(dir)) continue;
    const hit = readCached(join(titleDir, dir), hash);
    if (hit?.kind === 'audio') {
      audio.push(hit.audio);
      continue;
    }
    const work = await encodeOnce(dir, () => audioArgs(spec, duration));
    const { frequency: _f, kbps: _k, ...spoken } = spec;
    const rep = readRepresentation(work, dir, expectedSegments, duration);
    const described: GeneratedAudio = {
      dir,
      codec: rep.codec,
      bandwidth: rep.bandwidth,
      segmentCount: rep.segmentCount,
      ...spoken,
      channels: 2,
      sampleRate: AUDIO_SAMPLE_RATE,
    };
    swapIn(work, dir, {
      paramsHash: hash,
      kind: 'audio',
      audio: described,
      files: representationFiles(work, dir, 'audio/mp4'),
    });
    audio.push(described);
  }
  const subtitles: GeneratedSubtitle[] = SUBTITLE_TRACKS.map((spec) => {
    const file = `${spec.name}.vtt`;
    writeIfChanged(join(titleDir, file), webVtt(duration, spec.cue));
    return { language: spec.language, label: spec.label, kind: spec.kind, file };
  });

  const files: GeneratedFile[] = [];
  for (const rep of [...video, ...audio]) {
    const cached = readCached(join(titleDir, rep.dir), hash);
    if (!cached) throw new StackError(`media: ${rep.dir}: its files changed while generating`);
    files.push(...cached.files);
  }
  for (const sub of subtitles) {
    files.push({
      path: sub.file,
      size: statSync(join(titleDir, sub.file)).size,
      contentType: 'text/vtt; charset=utf-8',
    });
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
    generationSeconds: encoded.length === 0 ? 0 : Math.round((Date.now() - started) / 100) / 10,
  };
  writeFileSync(join(titleDir, MEDIA_JSON), `${JSON.stringify(media, null, 2)}\n`);
  return { media, cached: encoded.length === 0, encoded };
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
  return `drawtext=fontfile=${FONT_FROM_ENCODE_DIR}:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=10:${options}`;
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
  folder: string,
  dir: string,
  expectedSegments: number,
  duration: number,
): GeneratedRepresentation & { width?: number; height?: number } {
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

/** The media files in `folder`, named as they will be once the folder is the title's `dir`. */
function representationFiles(folder: string, dir: string, contentType: string): GeneratedFile[] {
  return readdirSync(folder)
    .filter((f) => f === 'init.mp4' || /^seg-\d+\.m4s$/.test(f))
    .sort((a, b) => segmentOrder(a) - segmentOrder(b))
    .map((f) => ({ path: `${dir}/${f}`, size: statSync(join(folder, f)).size, contentType }));
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
