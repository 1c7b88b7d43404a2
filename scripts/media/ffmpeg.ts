/**
 * ffmpeg and ffprobe for the media script: found on PATH, or installed from Debian's packages
 * (like scripts/stack/postgres.ts does for PostgreSQL), and run with progress.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

import { StackError } from '../stack/errors.ts';
import { isEnoent, lastLines, run } from '../stack/proc.ts';

/** The font drawn into test patterns; `fonts-dejavu-core` is installed with ffmpeg. */
export const FONT_FILE = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

const PACKAGES = ['ffmpeg', 'fonts-dejavu-core'];

async function answers(command: string): Promise<boolean> {
  try {
    return (await run(command, ['-hide_banner', '-version'])).code === 0;
  } catch (err) {
    if (isEnoent(err)) return false;
    throw err;
  }
}

/** Makes sure ffmpeg, ffprobe and the overlay font exist, installing them with apt-get when missing. */
export async function ensureFfmpeg(log: (line: string) => void): Promise<void> {
  if ((await answers('ffmpeg')) && (await answers('ffprobe')) && existsSync(FONT_FILE)) return;
  if (process.getuid?.() !== 0) {
    throw new StackError(
      `media: ffmpeg, ffprobe or ${FONT_FILE} is missing. Install them (sudo apt-get install -y ${PACKAGES.join(' ')}).`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const heartbeat = { onHeartbeat: (ms: number) => log(`media: still installing (${Math.round(ms / 1000)} s)`) };
  log(`media: ffmpeg not installed; running apt-get update && apt-get install -y ${PACKAGES.join(' ')}…`);
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', ...PACKAGES]]) {
    let result;
    try {
      result = await run('apt-get', args, { env, ...heartbeat });
    } catch (err) {
      if (isEnoent(err)) {
        throw new StackError(`media: ffmpeg is not installed and apt-get is not available; install ffmpeg yourself`);
      }
      throw err;
    }
    if (result.code !== 0) {
      throw new StackError(
        `media: "apt-get ${args.join(' ')}" failed (exit ${String(result.code)}):\n${lastLines(result.output, 30)}`,
      );
    }
  }
  if (!(await answers('ffmpeg')) || !(await answers('ffprobe'))) {
    throw new StackError('media: apt-get installed ffmpeg but "ffmpeg -version" still fails');
  }
  log('media: ffmpeg installed');
}

/**
 * Runs ffmpeg with `-progress pipe:1` and reports the fraction of `durationSeconds` encoded so far.
 * Rejects with the tail of ffmpeg's log when it fails.
 */
export function ffmpegWithProgress(
  args: readonly string[],
  durationSeconds: number,
  onProgress: (fraction: number) => void,
  options: { cwd?: string } = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'ffmpeg',
      ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-progress', 'pipe:1', ...args],
      { stdio: ['ignore', 'pipe', 'pipe'], ...(options.cwd ? { cwd: options.cwd } : {}) },
    );
    let pending = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        // out_time_us is microseconds despite the older out_time_ms name (which is also µs).
        const match = /^out_time_us=(\d+)$/.exec(line.trim());
        if (match?.[1]) onProgress(Math.min(1, Number(match[1]) / 1e6 / durationSeconds));
        else if (line.trim() === 'progress=end') onProgress(1);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-20_000);
    });
    child.on('error', (err) => reject(isEnoent(err) ? new StackError('media: ffmpeg is not installed') : err));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new StackError(`media: ffmpeg failed (exit ${String(code)}):\n${lastLines(stderr, 20)}`));
    });
  });
}

/** Runs ffprobe and parses its JSON output. */
export async function ffprobeJson(args: readonly string[]): Promise<unknown> {
  const result = await run('ffprobe', ['-v', 'error', '-of', 'json', ...args]);
  if (result.code !== 0)
    throw new StackError(`media: ffprobe ${args.join(' ')} failed:\n${lastLines(result.output, 20)}`);
  return JSON.parse(result.output) as unknown;
}
