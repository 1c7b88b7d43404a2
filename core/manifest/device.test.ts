import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { HttpError } from '../problem.ts';
import { arbitraryCapabilities, arbitraryPlan, arbitrarySource } from './arbitraries.ts';
import {
  DEFAULT_DEVICE_CAPABILITIES,
  DROP_REASONS,
  DeviceCapabilities,
  codecFamilyOf,
  filterForDevice,
  formatDeviceCapabilities,
  formatDropped,
  notPlayableDetail,
  parseDeviceCapabilities,
} from './device.ts';
import { fixtureId, sampleSource } from './fixtures.ts';
import type { PlaybackSource } from './source.ts';

function validationErrors(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).code).toBe('validation_failed');
    return (err as HttpError).errors ?? [];
  }
  throw new Error('expected a validation error');
}

describe('parseDeviceCapabilities', () => {
  it('falls back to what every device plays when the client says nothing', () => {
    expect(parseDeviceCapabilities({})).toEqual({
      codecs: ['avc1', 'mp4a'],
      maxWidth: 1920,
      maxHeight: 1080,
      hdr: { hdr10: false, hlg: false, dv: false },
    });
    expect(parseDeviceCapabilities({ header: '   ' })).toEqual(DEFAULT_DEVICE_CAPABILITIES);
  });

  it('reads every directive of the header form', () => {
    const caps = parseDeviceCapabilities({
      header: 'codecs=AVC1, vp09,av01.0.08M.08 ; MAX-RES=3840x2160; hdr=hdr10,hlg; max-bw=8000000',
    });
    expect(caps).toEqual({
      codecs: ['avc1', 'vp09', 'av01.0.08m.08'],
      maxWidth: 3840,
      maxHeight: 2160,
      hdr: { hdr10: true, hlg: true, dv: false },
      maxBandwidth: 8_000_000,
    });
  });

  it('keeps defaults for the keys a client leaves out', () => {
    const caps = parseDeviceCapabilities({ header: 'hdr=dv' });
    expect(caps.codecs).toEqual(['avc1', 'mp4a']);
    expect(caps.maxHeight).toBe(1080);
    expect(caps.hdr).toEqual({ hdr10: false, hlg: false, dv: true });
  });

  it('lets query parameters override the header key by key', () => {
    const caps = parseDeviceCapabilities({
      header: 'codecs=avc1,vp09; max-res=1920x1080',
      query: new URLSearchParams('max-res=1280x720&hdr=none'),
    });
    expect(caps.codecs).toEqual(['avc1', 'vp09']);
    expect([caps.maxWidth, caps.maxHeight]).toEqual([1280, 720]);
    expect(parseDeviceCapabilities({ query: { codecs: 'av01' } }).codecs).toEqual(['av01']);
  });

  it('ignores unknown keys so newer clients work with older edges', () => {
    expect(parseDeviceCapabilities({ header: 'codecs=vp09; colour-gamut=p3; future' }).codecs).toEqual(['vp09']);
  });

  it('rejects malformed known keys, naming each one', () => {
    const errors = validationErrors(() =>
      parseDeviceCapabilities({ header: 'codecs=avc1,"x"; max-res=big; hdr=hdr11; max-bw=-5' }),
    );
    expect(errors.map((e) => e.path).sort()).toEqual([
      'header.x-device-capabilities.codecs',
      'header.x-device-capabilities.hdr',
      'header.x-device-capabilities.max-bw',
      'header.x-device-capabilities.max-res',
    ]);
    expect(validationErrors(() => parseDeviceCapabilities({ query: { 'max-res': '0x0' } }))[0]?.path).toBe(
      'query.max-res',
    );
    expect(validationErrors(() => parseDeviceCapabilities({ header: `codecs=${'a,'.repeat(600)}` })).length).toBe(1);
    expect(validationErrors(() => parseDeviceCapabilities({ header: 'codecs' }))[0]?.message).toBe(
      'expected key=value',
    );
  });

  it('reads back what formatDeviceCapabilities writes', () => {
    fc.assert(
      fc.property(arbitraryCapabilities, (caps) => {
        const parsed = parseDeviceCapabilities({ header: formatDeviceCapabilities(caps) });
        expect(parsed).toEqual({ ...caps, codecs: [...new Set(caps.codecs)] });
        expect(DeviceCapabilities.safeParse(parsed).success).toBe(true);
      }),
    );
  });
});

describe('filterForDevice', () => {
  const source = sampleSource();
  const ids = (xs: readonly { id: string }[]) => xs.map((x) => x.id);

  it('gives a default device the SDR avc1 ladder up to 1080p and AAC audio', () => {
    const result = filterForDevice(source, DEFAULT_DEVICE_CAPABILITIES);
    expect(result.playable).toBe(true);
    expect(result.kept.encodings.map((e) => `${e.codecFamily}-${e.height}`)).toEqual([
      'avc1-240',
      'avc1-360',
      'avc1-480',
      'avc1-720',
      'avc1-1080',
    ]);
    expect(result.kept.audioTracks.map((a) => a.codec)).toEqual(['mp4a.40.2', 'mp4a.40.2', 'mp4a.40.2']);
    expect(result.kept.subtitleTracks).toHaveLength(3);
    const reasons = Object.fromEntries(result.dropped.map((d) => [d.id, d.reason]));
    expect(reasons).toEqual({
      [fixtureId(6)]: 'codec-unsupported',
      [fixtureId(7)]: 'codec-unsupported',
      [fixtureId(8)]: 'codec-unsupported',
      [fixtureId(9)]: 'codec-unsupported',
      [fixtureId(10)]: 'codec-unsupported',
      [fixtureId(11)]: 'codec-unsupported',
      [fixtureId(22)]: 'codec-unsupported',
    });
  });

  it('drops HDR the device cannot show, then what the plan or the screen cannot take', () => {
    const caps = parseDeviceCapabilities({ header: 'codecs=avc1,vp09,hev1,av01; max-res=1920x1080; hdr=hdr10' });
    const result = filterForDevice(source, caps, { maxHeightFromPlan: 720 });
    const byId = Object.fromEntries(result.dropped.map((d) => [d.id, d.reason]));
    expect(byId[fixtureId(5)]).toBe('resolution-above-plan'); // avc1 1080p
    expect(byId[fixtureId(8)]).toBe('resolution-above-plan'); // vp09 2160p: the plan rules first
    expect(byId[fixtureId(9)]).toBe('resolution-above-plan'); // HDR10 1080p: HDR is fine, height is not
    expect(byId[fixtureId(11)]).toBe('hdr-unsupported'); // HLG
    expect(ids(result.kept.encodings)).toEqual([1, 2, 3, 4, 6, 7].map(fixtureId));

    const noPlanLimit = filterForDevice(source, caps);
    expect(noPlanLimit.dropped.find((d) => d.id === fixtureId(8))?.reason).toBe('resolution-above-device');
    expect(ids(noPlanLimit.kept.encodings)).toContain(fixtureId(9));

    const basicPlan = filterForDevice(source, caps, { hdrFromPlan: false });
    expect(basicPlan.dropped.find((d) => d.id === fixtureId(9))?.reason).toBe('hdr-not-in-plan');
  });

  it('matches exact codec strings case-insensitively and families by prefix', () => {
    const caps = parseDeviceCapabilities({
      header: 'codecs=avc1.4d401f,hev1.2.4.l153.b0; max-res=3840x2160; hdr=hdr10',
    });
    const result = filterForDevice(source, caps);
    expect(ids(result.kept.encodings)).toEqual([3, 4, 10].map(fixtureId));
    expect(codecFamilyOf('EC-3')).toBe('ec-3');
    expect(codecFamilyOf('avc1.640028')).toBe('avc1');
  });

  it('keeps surround audio only for devices that name its codec', () => {
    const result = filterForDevice(source, parseDeviceCapabilities({ header: 'codecs=avc1,ec-3' }));
    expect(ids(result.kept.audioTracks)).toContain(fixtureId(22));
  });

  it('drops representations above the bandwidth cap', () => {
    const result = filterForDevice(source, parseDeviceCapabilities({ header: 'max-bw=1500000' }));
    expect(ids(result.kept.encodings)).toEqual([1, 2, 3].map(fixtureId));
    expect(result.dropped.find((d) => d.id === fixtureId(4))?.reason).toBe('bandwidth-above-device');
  });

  it('reports a device that can play no video as not playable, with the reasons', () => {
    const result = filterForDevice(source, parseDeviceCapabilities({ header: 'codecs=hvc1' }));
    expect(result.playable).toBe(false);
    if (result.playable) return;
    expect(result.missing).toEqual(['video']);
    expect(result.reasons).toEqual(['codec-unsupported']);
    expect(result.dropped).toHaveLength(source.encodings.length + 1);
    expect(notPlayableDetail(result)).toBe('This device can play no video of this title (codec-unsupported)');
  });

  it('reports a title whose audio the device cannot decode as not playable', () => {
    const surroundOnly: PlaybackSource = {
      ...source,
      audioTracks: source.audioTracks.filter((a) => a.codec === 'ec-3'),
    };
    const result = filterForDevice(surroundOnly, DEFAULT_DEVICE_CAPABILITIES);
    expect(result.playable).toBe(false);
    if (!result.playable) {
      expect(result.missing).toEqual(['audio']);
      expect(notPlayableDetail(result)).toBe('This device can play no audio of this title (codec-unsupported)');
    }
    // A title without any audio track is silent, not unplayable.
    expect(filterForDevice({ ...source, audioTracks: [] }, DEFAULT_DEVICE_CAPABILITIES).playable).toBe(true);
  });

  it('formats the dropped list for a response header', () => {
    expect(
      formatDropped([
        { id: 'a', kind: 'video', reason: 'codec-unsupported' },
        { id: 'b', kind: 'audio', reason: 'bandwidth-above-device' },
      ]),
    ).toBe('a=codec-unsupported, b=bandwidth-above-device');
  });

  it('for any ladder and device: kept satisfies the device, every drop has a reason, nothing is lost', () => {
    fc.assert(
      fc.property(arbitrarySource, arbitraryCapabilities, arbitraryPlan, (title, caps, plan) => {
        const result = filterForDevice(title, caps, plan);
        const families = new Set(caps.codecs.filter((c) => !c.includes('.')));
        const exact = new Set(caps.codecs.filter((c) => c.includes('.')));
        const codecOk = (codec: string) =>
          exact.has(codec.toLowerCase()) || families.has(codecFamilyOf(codec)) || codecFamilyOf(codec) === 'mp4a';

        for (const e of result.kept.encodings) {
          expect(codecOk(e.codec)).toBe(true);
          expect(e.width).toBeLessThanOrEqual(caps.maxWidth);
          expect(e.height).toBeLessThanOrEqual(caps.maxHeight);
          if (plan.maxHeightFromPlan !== undefined) expect(e.height).toBeLessThanOrEqual(plan.maxHeightFromPlan);
          if (caps.maxBandwidth !== undefined) expect(e.bandwidth).toBeLessThanOrEqual(caps.maxBandwidth);
          if (e.dynamicRange === 'HDR10') expect(caps.hdr.hdr10).toBe(true);
          if (e.dynamicRange === 'HLG') expect(caps.hdr.hlg).toBe(true);
          if (e.dynamicRange === 'DV') expect(caps.hdr.dv).toBe(true);
          if (e.dynamicRange !== 'SDR') expect(plan.hdrFromPlan).not.toBe(false);
        }
        for (const a of result.kept.audioTracks) expect(codecOk(a.codec)).toBe(true);
        for (const d of result.dropped) expect(DROP_REASONS).toContain(d.reason);

        const all = [...title.encodings, ...title.audioTracks].map((r) => r.id).sort();
        const keptAndDropped = [
          ...result.kept.encodings.map((e) => e.id),
          ...result.kept.audioTracks.map((a) => a.id),
          ...result.dropped.map((d) => d.id),
        ].sort();
        expect(keptAndDropped).toEqual(all);
        expect(result.kept.subtitleTracks).toEqual(title.subtitleTracks);

        const noVideo = result.kept.encodings.length === 0;
        const noAudio = title.audioTracks.length > 0 && result.kept.audioTracks.length === 0;
        expect(result.playable).toBe(!noVideo && !noAudio);
        if (!result.playable) {
          expect(new Set(result.reasons)).toEqual(new Set(result.dropped.map((d) => d.reason)));
        }
      }),
      { numRuns: 500 },
    );
  });
});
