/**
 * ffmpeg, ffprobe and the overlay font for the media script. Found, in this order: on PATH; in
 * the npm packages that ship static Linux x64 builds inside their tarballs (optional dependencies,
 * so `npm install` brings them without a download of its own); else installed from Debian's
 * packages with apt-get (slow: a minute or more), as a last resort.
 */
import { spawn } from 'node:child_process';
import { accessSync, chmodSync, constants, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import { StackError } from '../stack/errors.ts';
import { isEnoent, lastLines, run } from '../stack/proc.ts';

export interface MediaTools {
  ffmpeg: string;
  ffprobe: string;
  /** The TrueType font drawn into test patterns. */
  font: string;
  /** Where ffmpeg came from, for the log. */
  source: 'PATH' | 'npm';
}

/** Packages whose tarballs hold the binaries themselves (no install-time download). */
const NPM_BINARIES = { ffmpeg: '@ffmpeg-installer/linux-x64', ffprobe: '@ffprobe-installer/linux-x64' } as const;
const FONT_PACKAGE = 'dejavu-fonts-ttf';
/** Debian's copy of the same font (fonts-dejavu-core), when the package is not installed. */
const SYSTEM_FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
const APT_PACKAGES = ['ffmpeg', 'fonts-dejavu-core'];

const require = createRequire(import.meta.url);

async function answers(command: string): Promise<boolean> {
  try {
    return (await run(command, ['-hide_banner', '-version'])).code === 0;
  } catch (err) {
    if (isEnoent(err)) return false;
    throw err;
  }
}

/** A file inside an installed package, or undefined when the package is not installed. */
function packageFile(name: string, file: string): string | undefined {
  try {
    const path = join(dirname(require.resolve(`${name}/package.json`)), file);
    return existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

/** The binary of an npm package, made executable when npm skipped its chmod postinstall. */
function npmBinary(name: keyof typeof NPM_BINARIES): string | undefined {
  const path = packageFile(NPM_BINARIES[name], name);
  if (!path) return undefined;
  try {
    accessSync(path, constants.X_OK);
  } catch {
    chmodSync(path, 0o755);
  }
  return path;
}

function findFont(): string | undefined {
  return packageFile(FONT_PACKAGE, 'ttf/DejaVuSans.ttf') ?? (existsSync(SYSTEM_FONT) ? SYSTEM_FONT : undefined);
}

let found: MediaTools | undefined;

/** ffmpeg, ffprobe and the font without installing anything; undefined when one is missing. */
export async function findMediaTools(): Promise<MediaTools | undefined> {
  if (found) return found;
  const font = findFont();
  if (!font) return undefined;
  if ((await answers('ffmpeg')) && (await answers('ffprobe'))) {
    found = { ffmpeg: 'ffmpeg', ffprobe: 'ffprobe', font, source: 'PATH' };
    return found;
  }
  const ffmpeg = npmBinary('ffmpeg');
  const ffprobe = npmBinary('ffprobe');
  if (ffmpeg && ffprobe && (await answers(ffmpeg)) && (await answers(ffprobe))) {
    found = { ffmpeg, ffprobe, font, source: 'npm' };
    return found;
  }
  return undefined;
}

/** The tools (see findMediaTools), installing ffmpeg and the font with apt-get when nothing else has them. */
export async function ensureFfmpeg(log: (line: string) => void): Promise<MediaTools> {
  const tools = await findMediaTools();
  if (tools) return tools;
  if (process.getuid?.() !== 0) {
    throw new StackError(
      `media: ffmpeg, ffprobe or the DejaVu font is missing (run "npm install", or sudo apt-get install -y ${APT_PACKAGES.join(' ')}).`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const heartbeat = { onHeartbeat: (ms: number) => log(`media: still installing (${Math.round(ms / 1000)} s)`) };
  log(`media: ffmpeg not found; running apt-get update && apt-get install -y ${APT_PACKAGES.join(' ')}…`);
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', ...APT_PACKAGES]]) {
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
  const installed = await findMediaTools();
  if (!installed) throw new StackError('media: apt-get installed ffmpeg but "ffmpeg -version" still fails');
  log('media: ffmpeg installed');
  return installed;
}

/**
 * Runs ffmpeg with `-progress pipe:1` and reports the fraction of `durationSeconds` encoded so far.
 * Rejects with the tail of ffmpeg's log when it fails, or with an AbortError when `signal` aborts.
 */
export function ffmpegWithProgress(
  tools: MediaTools,
  args: readonly string[],
  durationSeconds: number,
  onProgress: (fraction: number) => void,
  options: { cwd?: string; signal?: AbortSignal } = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      tools.ffmpeg,
      ['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-progress', 'pipe:1', ...args],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(options.cwd ? { cwd: options.cwd } : {}),
        // Aborting kills ffmpeg (SIGTERM), so it does not outlive the run that started it.
        ...(options.signal ? { signal: options.signal } : {}),
      },
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
export async function ffprobeJson(tools: MediaTools, args: readonly string[]): Promise<unknown> {
  const result = await run(tools.ffprobe, ['-v', 'error', '-of', 'json', ...args]);
  if (result.code !== 0)
    throw new StackError(`media: ffprobe ${args.join(' ')} failed:\n${lastLines(result.output, 20)}`);
  return JSON.parse(result.output) as unknown;
}
