import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { loadMediaIntoR2, r2PersistPath, verifyMediaInR2, type MediaObject } from './r2.ts';

const dir = mkdtempSync(join(tmpdir(), 'edgeflix-r2-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

describe('loadMediaIntoR2', () => {
  const persist = join(dir, 'wrangler');
  const init = file('init.mp4', new Uint8Array([0, 0, 0, 24, 102, 116, 121, 112]));
  const segment = file(
    'seg-1.m4s',
    new Uint8Array(200_000).map((_, i) => i % 251),
  );
  const objects: MediaObject[] = [
    { key: 'media/t/avc1-240p-sdr/init.mp4', file: init, contentType: 'video/mp4' },
    { key: 'media/t/avc1-240p-sdr/seg-1.m4s', file: segment, contentType: 'video/mp4' },
  ];

  it('stores objects where wrangler dev --persist-to finds them, readable by another instance', async () => {
    const result = await loadMediaIntoR2(persist, objects);
    expect(result).toEqual({ written: 2, unchanged: 0, bytes: 200_008, writtenKeys: objects.map((o) => o.key) });
    expect(r2PersistPath(persist)).toBe(join(persist, 'v3', 'r2'));
    expect(await verifyMediaInR2(persist, objects)).toEqual([]);
  });

  it('leaves objects holding the same bytes alone and rewrites changed ones', async () => {
    expect(await loadMediaIntoR2(persist, objects)).toMatchObject({ written: 0, unchanged: 2 });
    writeFileSync(segment, new Uint8Array(10).fill(7));
    expect(await verifyMediaInR2(persist, objects)).toEqual(['media/t/avc1-240p-sdr/seg-1.m4s: bytes differ']);
    expect(await loadMediaIntoR2(persist, objects)).toEqual({
      written: 1,
      unchanged: 1,
      bytes: 10,
      writtenKeys: ['media/t/avc1-240p-sdr/seg-1.m4s'],
    });
    expect(await verifyMediaInR2(persist, objects)).toEqual([]);
  });

  it('reports objects that are missing from the bucket', async () => {
    const missing = { key: 'media/t/nowhere/init.mp4', file: init, contentType: 'video/mp4' };
    expect(await verifyMediaInR2(persist, [missing])).toEqual(['media/t/nowhere/init.mp4: missing']);
  });
});
