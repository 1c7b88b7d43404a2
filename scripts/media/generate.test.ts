import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { findMediaTools } from './ffmpeg.ts';
import { generateTitle, missingRepresentations } from './generate.ts';
import { ALL_REPRESENTATIONS, FIRST_REPRESENTATIONS } from './ladder.ts';

const outDir = mkdtempSync(join(tmpdir(), 'edgeflix-generate-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

const title = { id: '0340f609-c246-53f3-a25a-ed8542a3ae52', name: 'Octopus Rescue' };
/** Two segments: the shortest media the script makes, quick to encode. */
const durationSeconds = 8;

describe('generateTitle, one representation at a time', () => {
  it('finds ffmpeg, ffprobe and the overlay font without installing anything (npm ships them)', async () => {
    expect(await findMediaTools()).toMatchObject({ ffmpeg: expect.any(String), font: expect.stringMatching(/\.ttf$/) });
  });

  it(
    'makes the first representations alone, then only the missing ones, then nothing',
    { timeout: 180_000 },
    async () => {
      const first = await generateTitle(title, { outDir, durationSeconds, representations: FIRST_REPRESENTATIONS });
      expect(first.encoded).toEqual([...FIRST_REPRESENTATIONS]);
      expect([...first.media.video, ...first.media.audio].map((r) => r.dir)).toEqual([...FIRST_REPRESENTATIONS]);
      expect(first.media.files.filter((f) => f.path.endsWith('.m4s'))).toHaveLength(2 * FIRST_REPRESENTATIONS.length);
      expect(missingRepresentations(title, { outDir, durationSeconds })).toEqual(
        ALL_REPRESENTATIONS.filter((d) => !FIRST_REPRESENTATIONS.includes(d)),
      );

      const next = ['avc1-360p-sdr', ...FIRST_REPRESENTATIONS];
      const second = await generateTitle(title, { outDir, durationSeconds, representations: next });
      expect(second.encoded).toEqual(['avc1-360p-sdr']);
      expect(second.media.video.map((v) => v.height)).toEqual([240, 360]);

      const again = await generateTitle(title, { outDir, durationSeconds, representations: next });
      expect(again).toMatchObject({ cached: true, encoded: [] });
      expect(again.media.files).toEqual(second.media.files);
    },
  );

  it('leaves nothing that passes for cached when an encode is stopped halfway', { timeout: 180_000 }, async () => {
    const stop = new AbortController();
    const run = generateTitle(title, {
      outDir,
      durationSeconds,
      representations: ['avc1-720p-sdr'],
      signal: stop.signal,
      onProgress: (_rep, fraction) => fraction > 0 && stop.abort(),
    });
    await expect(run).rejects.toThrow(/abort/i);
    expect(missingRepresentations(title, { outDir, durationSeconds, representations: ['avc1-720p-sdr'] })).toEqual([
      'avc1-720p-sdr',
    ]);
    expect(existsSync(join(outDir, title.id, 'avc1-720p-sdr'))).toBe(false);

    const resumed = await generateTitle(title, { outDir, durationSeconds, representations: ['avc1-720p-sdr'] });
    expect(resumed.encoded).toEqual(['avc1-720p-sdr']);
    expect(readdirSync(join(outDir, title.id)).filter((d) => d.endsWith('.partial'))).toEqual([]);
  });
});
