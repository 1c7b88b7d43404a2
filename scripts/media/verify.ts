/** Checks generated media with ffprobe: every representation decodes as described, for the whole title. */
import { join } from 'node:path';

import { ffprobeJson, type MediaTools } from './ffmpeg.ts';
import type { GeneratedTitle } from './generate.ts';

interface ProbeResult {
  streams?: { codec_name?: string; width?: number; height?: number; sample_rate?: string; channels?: number }[];
  format?: { duration?: string };
}

const CODEC_NAMES: Readonly<Record<string, string>> = { avc1: 'h264', vp09: 'vp9', mp4a: 'aac' };
/** One AAC frame plus the trimmed tail, or one video frame: anything more is a real gap. */
const DURATION_TOLERANCE_S = 0.1;

/**
 * Probes each representation (init + every segment, concatenated) of a generated title, or only
 * those named in `only`. Returns problems.
 */
export async function probeTitle(
  tools: MediaTools,
  dir: string,
  media: GeneratedTitle,
  only?: readonly string[],
): Promise<string[]> {
  const problems: string[] = [];
  const reps = [
    ...media.video.map((v) => ({ ...v, kind: 'video' as const })),
    ...media.audio.map((a) => ({ ...a, kind: 'audio' as const })),
  ].filter((rep) => !only || only.includes(rep.dir));
  for (const rep of reps) {
    const files = ['init.mp4', ...Array.from({ length: rep.segmentCount }, (_, i) => `seg-${i + 1}.m4s`)];
    const input = `concat:${files.map((f) => join(dir, rep.dir, f)).join('|')}`;
    const probe = (await ffprobeJson(tools, [
      '-show_entries',
      'stream=codec_name,width,height,sample_rate,channels:format=duration',
      input,
    ])) as ProbeResult;
    const stream = probe.streams?.[0];
    const expectedCodec = CODEC_NAMES[rep.codec.slice(0, 4)];
    const duration = Number(probe.format?.duration);
    if (!stream || stream.codec_name !== expectedCodec) {
      problems.push(
        `${rep.dir}: expected ${expectedCodec ?? rep.codec}, ffprobe says ${stream?.codec_name ?? 'no stream'}`,
      );
    }
    if (rep.kind === 'video' && (stream?.width !== rep.width || stream.height !== rep.height)) {
      problems.push(`${rep.dir}: expected ${rep.width}x${rep.height}, ffprobe says ${stream?.width}x${stream?.height}`);
    }
    if (rep.kind === 'audio' && (stream?.channels !== rep.channels || Number(stream.sample_rate) !== rep.sampleRate)) {
      problems.push(`${rep.dir}: expected ${rep.channels} channels at ${rep.sampleRate} Hz`);
    }
    if (!(Math.abs(duration - media.durationSeconds) <= DURATION_TOLERANCE_S)) {
      problems.push(`${rep.dir}: lasts ${duration} s, expected ${media.durationSeconds} s`);
    }
  }
  return problems;
}
