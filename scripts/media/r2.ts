/**
 * Loads media into the local R2 bucket the edge reads (`MEDIA` → `edgeflix-media`), in the same
 * on-disk state `wrangler dev --persist-to <dir>` uses: Miniflare with `<dir>/v3/r2`.
 * A running `wrangler dev` sees the new objects at once (both read the same SQLite-backed store).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { Miniflare } from 'miniflare';

export const MEDIA_BINDING = 'MEDIA';
export const MEDIA_BUCKET = 'edgeflix-media';

export interface MediaObject {
  /** Object key, e.g. `media/<titleId>/avc1-720p-sdr/seg-1.m4s`. */
  key: string;
  /** The file to upload. */
  file: string;
  contentType: string;
}

export interface LoadResult {
  written: number;
  unchanged: number;
  bytes: number;
  /** Keys of the objects written (not already there with the same bytes). */
  writtenKeys: string[];
}

/** Where wrangler keeps local R2 data for `--persist-to <persistDir>`. */
export function r2PersistPath(persistDir: string): string {
  return join(resolve(persistDir), 'v3', 'r2');
}

/** The part of the R2 API used here (the Node tsconfig has no Workers types). */
interface LocalBucket {
  head(key: string): Promise<StoredObject | null>;
  get(key: string): Promise<(StoredObject & { arrayBuffer(): Promise<ArrayBuffer> }) | null>;
  put(
    key: string,
    value: Uint8Array,
    options: { httpMetadata: { contentType: string }; customMetadata: Record<string, string> },
  ): Promise<unknown>;
}
interface StoredObject {
  size: number;
  httpMetadata?: { contentType?: string };
  customMetadata?: Record<string, string>;
}

/** The local `MEDIA` bucket, open until `close()`: one Miniflare instance for many loads (it takes seconds to start). */
export interface MediaBucket {
  /** See loadMediaIntoR2. */
  load(files: readonly MediaObject[], onProgress?: (done: number, total: number) => void): Promise<LoadResult>;
  /** See verifyMediaInR2. */
  verify(files: readonly MediaObject[]): Promise<string[]>;
  close(): Promise<void>;
}

/** Opens the local `MEDIA` bucket under `persistDir` (wrangler's `--persist-to`). */
export async function openMediaBucket(persistDir: string): Promise<MediaBucket> {
  const mf = new Miniflare({
    modules: true,
    script: 'export default {}',
    r2Buckets: { [MEDIA_BINDING]: MEDIA_BUCKET },
    r2Persist: r2PersistPath(persistDir),
  });
  let bucket: LocalBucket;
  try {
    bucket = (await mf.getR2Bucket(MEDIA_BINDING)) as unknown as LocalBucket;
  } catch (err) {
    await mf.dispose();
    throw err;
  }
  return {
    load: (files, onProgress) => loadInto(bucket, files, onProgress),
    verify: (files) => verifyIn(bucket, files),
    close: () => mf.dispose(),
  };
}

async function withBucket<T>(persistDir: string, use: (bucket: MediaBucket) => Promise<T>): Promise<T> {
  const bucket = await openMediaBucket(persistDir);
  try {
    return await use(bucket);
  } finally {
    await bucket.close();
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Puts every file into the local `MEDIA` bucket under `persistDir` (wrangler's `--persist-to`),
 * with its content type and a `sha256` custom metadata field; objects already holding the same
 * bytes are left alone, so reloading is cheap.
 */
export async function loadMediaIntoR2(
  persistDir: string,
  files: readonly MediaObject[],
  onProgress?: (done: number, total: number) => void,
): Promise<LoadResult> {
  return withBucket(persistDir, (bucket) => bucket.load(files, onProgress));
}

/**
 * Reads every object back through a fresh Miniflare instance and compares its bytes with the
 * file it came from. Returns one line per problem (empty when every object matches).
 */
export async function verifyMediaInR2(persistDir: string, files: readonly MediaObject[]): Promise<string[]> {
  return withBucket(persistDir, (bucket) => bucket.verify(files));
}

async function loadInto(
  bucket: LocalBucket,
  files: readonly MediaObject[],
  onProgress?: (done: number, total: number) => void,
): Promise<LoadResult> {
  const result: LoadResult = { written: 0, unchanged: 0, bytes: 0, writtenKeys: [] };
  let done = 0;
  for (const object of files) {
    const bytes = readFileSync(object.file);
    const digest = sha256(bytes);
    const existing = await bucket.head(object.key);
    if (existing?.customMetadata?.['sha256'] === digest && existing.httpMetadata?.contentType === object.contentType) {
      result.unchanged++;
    } else {
      // A copy in its own ArrayBuffer: Node's Buffers share a pool Miniflare's proxy cannot send.
      await bucket.put(object.key, new Uint8Array(bytes), {
        httpMetadata: { contentType: object.contentType },
        customMetadata: { sha256: digest },
      });
      result.written++;
      result.bytes += bytes.byteLength;
      result.writtenKeys.push(object.key);
    }
    onProgress?.(++done, files.length);
  }
  return result;
}

async function verifyIn(bucket: LocalBucket, files: readonly MediaObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const object of files) {
    const stored = await bucket.get(object.key);
    if (!stored) {
      problems.push(`${object.key}: missing`);
      continue;
    }
    const bytes = new Uint8Array(await stored.arrayBuffer());
    if (sha256(bytes) !== sha256(readFileSync(object.file))) problems.push(`${object.key}: bytes differ`);
    else if (stored.httpMetadata?.contentType !== object.contentType) {
      problems.push(`${object.key}: content type ${stored.httpMetadata?.contentType ?? 'missing'}`);
    }
  }
  return problems;
}
