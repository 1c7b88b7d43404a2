import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { kidBytes } from '../../core/protection/key-wrap.ts';
import type { KeyTier } from '../../core/protection/tiers.ts';
import { avcSubsamples, CLEAR_KEY_SYSTEM_ID } from './cenc.ts';
import type { TitleKey } from './content-keys.ts';
import { ffprobeJson, findMediaTools, type MediaTools } from './ffmpeg.ts';
import { generateTitle, type GeneratedTitle } from './generate.ts';
import { allBoxes, findBox, parseBoxes } from './mp4.ts';
import { protectTitle, tiersOf, type ProtectResult } from './protect.ts';

const outDir = mkdtempSync(join(tmpdir(), 'edgeflix-cenc-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

const title = { id: '0340f609-c246-53f3-a25a-ed8542a3ae52', name: 'Octopus Rescue' };
const REPS = ['avc1-240p-sdr', 'avc1-720p-sdr', 'vp09-360p-sdr', 'audio-en-2.0'];
const keys = new Map<KeyTier, TitleKey>(
  (['audio', 'sd', 'hd'] as const).map((tier, i) => {
    const kidUuid = `00000000-0000-4000-8000-00000000000${i + 1}`;
    return [tier, { tier, kidUuid, kid: kidBytes(kidUuid), key: Uint8Array.from({ length: 16 }, (_, b) => b * 7 + i) }];
  }),
);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

let tools: MediaTools;
let clear: GeneratedTitle;
let result: ProtectResult;

beforeAll(async () => {
  tools = (await findMediaTools())!;
  // Two 4-second segments per representation: quick to encode.
  clear = (await generateTitle(title, { outDir, durationSeconds: 8, representations: REPS, tools })).media;
  result = protectTitle(outDir, clear, keys);
}, 180_000);

/** The decoded frames' checksums of `init` + `segment`, decrypted with `key` when given. */
function frames(init: Buffer, segment: Buffer, key?: Uint8Array): string[] {
  const file = join(outDir, `probe-${Math.random().toString(36).slice(2)}.mp4`);
  writeFileSync(file, Buffer.concat([init, segment]));
  const args = ['-v', 'quiet', ...(key ? ['-decryption_key', hex(key)] : []), '-i', file, '-f', 'framemd5', '-'];
  try {
    return execFileSync(tools.ffmpeg, args, { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
  } catch {
    return [];
  } finally {
    rmSync(file, { force: true });
  }
}

describe('CENC packaging of a title', () => {
  it('keeps H.264 and AAC, leaves VP9 out, and needs one key per tier present (audio, SD, HD)', () => {
    expect(result.media.video.map((v) => v.dir)).toEqual(['avc1-240p-sdr', 'avc1-720p-sdr']);
    expect(result.media.audio.map((a) => a.dir)).toEqual(['audio-en-2.0']);
    expect(tiersOf(clear).sort()).toEqual(['audio', 'hd', 'sd']);
    expect(result.media.files.map((f) => f.path)).toEqual(
      clear.files.filter((f) => !f.path.startsWith('vp09-')).map((f) => f.path),
    );
  });

  it('writes encv/enca init segments with sinf (frma, schm cenc, tenc with the tier key id) and a Clear Key pssh', () => {
    for (const [dir, entry, original, tier] of [
      ['avc1-240p-sdr', 'encv', 'avc1', 'sd'],
      ['avc1-720p-sdr', 'encv', 'avc1', 'hd'],
      ['audio-en-2.0', 'enca', 'mp4a', 'audio'],
    ] as const) {
      const boxes = parseBoxes(readFileSync(join(result.dir, dir, 'init.mp4')));
      const stsd = findBox(boxes, ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stsd'])!;
      expect(stsd.children?.map((b) => b.type)).toEqual([entry]);
      const sinf = stsd.children![0]!.children!.find((b) => b.type === 'sinf')!;
      expect(String.fromCharCode(...findBox([sinf], ['sinf', 'frma'])!.prefix)).toBe(original);
      expect(String.fromCharCode(...findBox([sinf], ['sinf', 'schm'])!.prefix.subarray(4, 8))).toBe('cenc');
      const tenc = findBox([sinf], ['sinf', 'schi', 'tenc'])!.prefix;
      expect({ isProtected: tenc[6], ivSize: tenc[7], kid: hex(tenc.subarray(8, 24)) }).toEqual({
        isProtected: 1,
        ivSize: 8,
        kid: hex(keys.get(tier)!.kid),
      });
      const pssh = findBox(boxes, ['moov', 'pssh'])!.prefix;
      expect(hex(pssh.subarray(4, 20))).toBe(hex(CLEAR_KEY_SYSTEM_ID));
      expect(hex(pssh.subarray(24, 40))).toBe(hex(keys.get(tier)!.kid));
    }
  });

  it('gives every media segment senc, saiz and saio for each sample, and no sidx', () => {
    for (const f of result.media.files.filter((f) => f.path.endsWith('.m4s'))) {
      const boxes = parseBoxes(readFileSync(join(result.dir, f.path)));
      expect(boxes.map((b) => b.type)).toEqual(['styp', 'moof', 'mdat']);
      const traf = findBox(boxes, ['moof', 'traf'])!;
      const types = traf.children!.map((b) => b.type);
      expect(types).toEqual(expect.arrayContaining(['senc', 'saiz', 'saio']));
      const trunCount = new DataView(allBoxes(boxes, 'trun')[0]!.prefix.buffer).getUint32(
        allBoxes(boxes, 'trun')[0]!.prefix.byteOffset + 4,
      );
      const senc = allBoxes(boxes, 'senc')[0]!.prefix;
      expect(new DataView(senc.buffer, senc.byteOffset).getUint32(4)).toBe(trunCount);
    }
  });

  it('is reported as encrypted by ffprobe (encryption initialization data)', async () => {
    const probe = (await ffprobeJson(tools, ['-show_streams', join(result.dir, 'avc1-240p-sdr', 'init.mp4')])) as {
      streams: { side_data_list?: { side_data_type: string }[] }[];
    };
    expect(probe.streams[0]?.side_data_list?.map((s) => s.side_data_type)).toContain('Encryption initialization data');
  });

  it('decrypts with its tier key to exactly the clear encode, frame for frame, and not without it or with another tier', () => {
    for (const [dir, tier, other] of [
      ['avc1-240p-sdr', 'sd', 'hd'],
      ['avc1-720p-sdr', 'hd', 'sd'],
      ['audio-en-2.0', 'audio', 'sd'],
    ] as const) {
      for (const seg of ['seg-1.m4s', 'seg-2.m4s']) {
        const read = (root: string, name: string) => readFileSync(join(root, dir, name));
        const expected = frames(read(join(outDir, title.id), 'init.mp4'), read(join(outDir, title.id), seg));
        expect(expected.length).toBeGreaterThan(10);
        const init = read(result.dir, 'init.mp4');
        const segment = read(result.dir, seg);
        expect(frames(init, segment, keys.get(tier)!.key)).toEqual(expected);
        expect(frames(init, segment)).not.toEqual(expected);
        expect(frames(init, segment, keys.get(other)!.key)).not.toEqual(expected);
      }
    }
  });

  it('reuses the encrypted files on a second run with the same keys', () => {
    expect(result.encrypted).toEqual(['avc1-240p-sdr', 'avc1-720p-sdr', 'audio-en-2.0']);
    expect(protectTitle(outDir, clear, keys).encrypted).toEqual([]);
  });
});

describe('avcSubsamples', () => {
  it('leaves length fields, NAL headers and non-VCL units clear and protects whole blocks of slice data', () => {
    const nal = (type: number, length: number) => {
      const b = Buffer.alloc(4 + length, 0xaa);
      b.writeUInt32BE(length, 0);
      b[4] = type;
      return b;
    };
    // SEI (6) of 30 bytes, IDR slice (5) of 100 bytes: 99 after the header, 96 protected.
    const sample = Buffer.concat([nal(6, 30), nal(0x65, 100)]);
    expect(avcSubsamples(sample, 4)).toEqual([{ clear: 34 + 4 + 4, protected: 96 }]);
    const slices = avcSubsamples(Buffer.concat([nal(0x41, 17), nal(0x41, 10)]), 4);
    expect(slices).toEqual([
      { clear: 5, protected: 16 },
      { clear: 14, protected: 0 },
    ]);
    expect(slices.reduce((n, s) => n + s.clear + s.protected, 0)).toBe(4 + 17 + 4 + 10);
  });
});
