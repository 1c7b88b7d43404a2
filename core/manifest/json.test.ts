import { describe, expect, it } from 'vitest';

import { DEFAULT_DEVICE_CAPABILITIES, filterForDevice } from './device.ts';
import { fixtureId, sampleLocations, sampleSource } from './fixtures.ts';
import { PlaybackManifest, buildJsonManifest } from './json.ts';

describe('buildJsonManifest', () => {
  const source = sampleSource();
  const result = filterForDevice(source, DEFAULT_DEVICE_CAPABILITIES, { maxHeightFromPlan: 720 });
  const manifest = buildJsonManifest(source, {
    kept: result.kept,
    dropped: result.dropped,
    locations: sampleLocations(source),
    resumePosition: 42,
  });

  it('is a valid PlaybackManifest with the title, duration and resume position', () => {
    expect(PlaybackManifest.parse(manifest)).toEqual(manifest);
    expect(manifest).toMatchObject({ videoId: source.titleId, title: source.name, duration: 58, resumePosition: 42 });
  });

  it('lists kept qualities highest bandwidth first with signed init and segment template URLs', () => {
    expect(manifest.qualities.map((q) => q.resolution)).toEqual(['1280x720', '854x480', '640x360', '426x240']);
    const hd = manifest.qualities[0];
    expect(hd).toMatchObject({ id: fixtureId(4), codec: 'avc1.4D401F', bandwidth: 3_000_000, segmentDuration: 4 });
    expect(hd?.initUrl).toBe(`https://edge.example/v1/media/${source.titleId}/avc1-720p-sdr/init.mp4?token=tok-0004`);
    expect(hd?.baseUrl).toBe(
      `https://edge.example/v1/media/${source.titleId}/avc1-720p-sdr/seg-$Number$.m4s?token=tok-0004`,
    );
  });

  it('lists audio and subtitles, and what was dropped with its reason', () => {
    expect(manifest.audioTracks.map((a) => [a.language, a.role, a.default])).toEqual([
      ['en', 'main', true],
      ['es', 'dub', false],
      ['en', 'description', false],
    ]);
    expect(manifest.subtitles.map((s) => s.url)).toEqual([
      `https://edge.example/v1/media/${source.titleId}/subs-en.vtt?token=tok-001f`,
      `https://edge.example/v1/media/${source.titleId}/subs-es.vtt?token=tok-0020`,
      `https://edge.example/v1/media/${source.titleId}/subs-en-sdh.vtt?token=tok-0021`,
    ]);
    expect(manifest.dropped).toContainEqual({ id: fixtureId(5), kind: 'video', reason: 'resolution-above-plan' });
    expect(manifest.dropped).toContainEqual({ id: fixtureId(22), kind: 'audio', reason: 'codec-unsupported' });
  });

  it('starts at 0 when the profile has no progress', () => {
    const fresh = buildJsonManifest(source, { kept: result.kept, dropped: [], locations: sampleLocations(source) });
    expect(fresh.resumePosition).toBe(0);
  });
});
