/**
 * Packaging of a protected title: the clear representations generateTitle made are encrypted
 * (cenc.ts) into `<outDir>/<titleId>.cenc/`, with the same relative paths, so the object-store keys
 * and the segment names the manifests use are those of a clear title. Only this folder goes to the
 * object store for a protected title; the clear files stay in the local cache.
 *
 * One key per tier (core/protection/tiers.ts); renditions the packager cannot encrypt (VP9) are
 * left out of a protected title. Each representation is cached on its own, keyed by its key id and
 * the clear files it came from.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

import { videoKeyTier, type KeyTier } from '../../core/protection/tiers.ts';
import { encryptInit, encryptSegment, trackFormat } from './cenc.ts';
import type { TitleKey } from './content-keys.ts';
import type { GeneratedFile, GeneratedTitle } from './generate.ts';
import { SEGMENT_SECONDS } from './ladder.ts';

const PROTECTED_JSON = 'protected.json';

/** The folder of a title's encrypted files. */
export function protectedDir(outDir: string, titleId: string): string {
  return join(outDir, `${titleId}.cenc`);
}

/** The representations of `media` a protected title keeps (what cenc.ts can encrypt). */
export function protectable(media: GeneratedTitle): GeneratedTitle {
  const video = media.video.filter((v) => v.family === 'avc1');
  const kept = new Set([...video, ...media.audio].map((r) => r.dir));
  const files = media.files.filter((f) => !f.path.includes('/') || kept.has(f.path.split('/')[0]!));
  return { ...media, video, files };
}

/** The key tiers `media`'s protectable representations need. */
export function tiersOf(media: GeneratedTitle): KeyTier[] {
  const tiers = new Set<KeyTier>(
    protectable(media).video.map((v) => videoKeyTier({ height: v.height, dynamicRange: 'SDR' })),
  );
  if (media.audio.length > 0) tiers.add('audio');
  return [...tiers];
}

export interface ProtectResult {
  /** The protected title: only the encrypted representations, bandwidths measured on the encrypted files. */
  media: GeneratedTitle;
  /** Where its files are (paths in `media.files` are relative to it). */
  dir: string;
  /** Representations encrypted in this call (the rest were cached). */
  encrypted: string[];
  seconds: number;
}

/** Encrypts (or finds cached) every protectable representation of `media` with `keys`. */
export function protectTitle(
  outDir: string,
  media: GeneratedTitle,
  keys: ReadonlyMap<KeyTier, TitleKey>,
): ProtectResult {
  const started = Date.now();
  const clearDir = join(outDir, media.titleId);
  const dir = protectedDir(outDir, media.titleId);
  mkdirSync(dir, { recursive: true });
  const kept = protectable(media);
  const encrypted: string[] = [];
  const files: GeneratedFile[] = [];
  const bandwidths = new Map<string, number>();
  const reps = [
    ...kept.video.map((v) => ({ dir: v.dir, tier: videoKeyTier({ height: v.height, dynamicRange: 'SDR' }) })),
    ...kept.audio.map((a) => ({ dir: a.dir, tier: 'audio' as const })),
  ];
  for (const rep of reps) {
    const key = keys.get(rep.tier);
    if (!key) throw new Error(`media: ${media.titleId}: no ${rep.tier} key for ${rep.dir}`);
    const clearFiles = media.files.filter((f) => f.path.startsWith(`${rep.dir}/`));
    const stamp = { kid: key.kidUuid, clear: clearFiles.map((f) => ({ path: f.path, size: f.size })) };
    let out = cachedRep(dir, rep.dir, stamp);
    if (!out) {
      out = encryptRep(clearDir, dir, rep.dir, clearFiles, key, stamp);
      encrypted.push(rep.dir);
    }
    files.push(...out);
    bandwidths.set(rep.dir, peakBandwidth(out, media.durationSeconds));
  }
  for (const f of media.files.filter((f) => !f.path.includes('/'))) {
    copyFileSync(join(clearDir, f.path), join(dir, f.path));
    files.push(f);
  }
  const withBandwidth = <T extends { dir: string; bandwidth: number }>(r: T): T => ({
    ...r,
    bandwidth: bandwidths.get(r.dir) ?? r.bandwidth,
  });
  return {
    media: { ...kept, video: kept.video.map(withBandwidth), audio: kept.audio.map(withBandwidth), files },
    dir,
    encrypted,
    seconds: (Date.now() - started) / 1000,
  };
}

interface Stamp {
  kid: string;
  clear: { path: string; size: number }[];
}

function cachedRep(dir: string, rep: string, stamp: Stamp): GeneratedFile[] | undefined {
  try {
    const cached = JSON.parse(readFileSync(join(dir, rep, PROTECTED_JSON), 'utf8')) as Stamp & {
      files: GeneratedFile[];
    };
    if (JSON.stringify({ kid: cached.kid, clear: cached.clear }) !== JSON.stringify(stamp)) return undefined;
    return cached.files.every((f) => existsSync(join(dir, f.path)) && statSync(join(dir, f.path)).size === f.size)
      ? cached.files
      : undefined;
  } catch {
    return undefined;
  }
}

function encryptRep(
  clearDir: string,
  dir: string,
  rep: string,
  clearFiles: readonly GeneratedFile[],
  key: TitleKey,
  stamp: Stamp,
): GeneratedFile[] {
  const work = join(dir, `${rep}.partial`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const init = clearFiles.find((f) => f.path.endsWith('/init.mp4'));
  if (!init) throw new Error(`media: ${rep}: no init.mp4 to encrypt`);
  const format = trackFormat(readFileSync(join(clearDir, init.path)));
  const files: GeneratedFile[] = [];
  for (const f of clearFiles) {
    const clear = readFileSync(join(clearDir, f.path));
    const bytes = f === init ? encryptInit(clear, key.kid) : encryptSegment(clear, format, key);
    const name = f.path.slice(rep.length + 1);
    writeFileSync(join(work, name), bytes);
    files.push({ path: f.path, size: bytes.length, contentType: f.contentType });
  }
  writeFileSync(join(work, PROTECTED_JSON), `${JSON.stringify({ ...stamp, files }, null, 2)}\n`);
  rmSync(join(dir, rep), { recursive: true, force: true });
  renameSync(work, join(dir, rep));
  return files;
}

/** Peak segment bitrate (bits per second) of one representation's files. */
function peakBandwidth(files: readonly GeneratedFile[], durationSeconds: number): number {
  let peak = 0;
  for (const f of files) {
    const n = Number(/seg-(\d+)\.m4s$/.exec(f.path)?.[1] ?? 0);
    if (n === 0) continue;
    const seconds = Math.min(SEGMENT_SECONDS, durationSeconds - (n - 1) * SEGMENT_SECONDS);
    peak = Math.max(peak, (f.size * 8) / Math.max(seconds, 1));
  }
  return Math.ceil(peak);
}
