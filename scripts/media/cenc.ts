/**
 * ISO/IEC 23001-7 Common Encryption, scheme `cenc` (AES-128-CTR), applied to the fragmented MP4
 * the DASH muxer writes (`init.mp4` + `seg-<n>.m4s`), file by file, so the segment names, counts
 * and timing the manifests describe stay exactly as they were.
 *
 * - Init segment: the sample entry becomes `encv`/`enca` with a `sinf` (`frma`, `schm` = cenc,
 *   `tenc` with the key id and 8-byte per-sample IVs), and the `moov` gets a Clear Key `pssh`
 *   (W3C common system id, version 1, listing the key id) from which browsers make their licence
 *   request.
 * - Media segment: every sample is encrypted with a random IV; H.264 with subsamples (length
 *   prefixes, NAL headers and non-VCL NAL units stay clear, protected ranges are whole 16-byte
 *   blocks), AAC whole-sample. Each `traf` gets `senc` + `saiz` + `saio`; `trun`'s data offset
 *   moves by what the `moof` grew. The `sidx` is dropped: the manifests address segments by
 *   number, and its sizes would no longer hold.
 *
 * VP9 is not handled (its binding needs the uncompressed frame header parsed to stay clear); the
 * packager leaves VP9 renditions out of protected titles.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { kidBytes, kidUuid } from '../../core/protection/key-wrap.ts';
import { clearKeyPsshBox, COMMON_PSSH_SYSTEM_ID } from '../../core/protection/pssh.ts';

import {
  allBoxes,
  ByteWriter,
  findBox,
  fullBoxPayload,
  leaf,
  parseBoxes,
  writeBoxes,
  view,
  type Mp4Box,
} from './mp4.ts';

/** W3C "Common PSSH box format" system id, the one Clear Key init data uses. */
export const CLEAR_KEY_SYSTEM_ID = kidBytes(COMMON_PSSH_SYSTEM_ID);
export const IV_SIZE = 8;
const SAMPLE_ENTRIES: Record<string, { encrypted: string; kind: SampleKind }> = {
  avc1: { encrypted: 'encv', kind: 'avc' },
  avc3: { encrypted: 'encv', kind: 'avc' },
  mp4a: { encrypted: 'enca', kind: 'audio' },
};
type SampleKind = 'avc' | 'audio';

/** What the segments of one representation need from its (clear) init segment. */
export interface TrackFormat {
  kind: SampleKind;
  /** H.264's NAL length field size (avcC), 4 in practice. */
  nalLengthSize: number;
}

export interface ContentKey {
  /** 16 bytes. */
  kid: Uint8Array;
  /** 16 bytes. */
  key: Uint8Array;
}

/** The clear init segment's sample format, or an error naming what is not supported. */
export function trackFormat(init: Uint8Array): TrackFormat {
  const entry = sampleEntry(parseBoxes(init));
  const known = SAMPLE_ENTRIES[entry.type];
  if (!known) throw new Error(`cenc: sample entry ${entry.type} is not supported (H.264 and AAC are)`);
  if (known.kind === 'audio') return { kind: 'audio', nalLengthSize: 0 };
  const avcC = entry.children?.find((b) => b.type === 'avcC');
  if (!avcC || avcC.prefix.length < 5) throw new Error('cenc: avc1 without an avcC box');
  return { kind: 'avc', nalLengthSize: (avcC.prefix[4]! & 0x03) + 1 };
}

function sampleEntry(boxes: Mp4Box[]): Mp4Box {
  const stsd = findBox(boxes, ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stsd']);
  const entries = stsd?.children ?? [];
  if (entries.length !== 1) throw new Error(`cenc: expected one sample entry, found ${entries.length}`);
  return entries[0]!;
}

function psshBox(kid: Uint8Array): Mp4Box {
  // The box's payload (after its 8-byte header), as a leaf of the moov.
  return leaf('pssh', clearKeyPsshBox([kidUuid(kid)]).subarray(8));
}

/** The init segment of the encrypted representation. */
export function encryptInit(init: Uint8Array, kid: Uint8Array): Uint8Array {
  if (kid.length !== 16) throw new Error('cenc: a key id is 16 bytes');
  const boxes = parseBoxes(init);
  const entry = sampleEntry(boxes);
  const known = SAMPLE_ENTRIES[entry.type];
  if (!known) throw new Error(`cenc: sample entry ${entry.type} is not supported`);
  const original = entry.type;
  entry.type = known.encrypted;
  const tenc = leaf(
    'tenc',
    // version 0: two reserved bytes, isProtected = 1, Per_Sample_IV_Size, default_KID.
    fullBoxPayload(0, 0, new ByteWriter().u8(0).u8(0).u8(1).u8(IV_SIZE).bytes(kid).done()),
  );
  entry.children = [
    ...(entry.children ?? []),
    {
      type: 'sinf',
      prefix: new Uint8Array(0),
      children: [
        leaf('frma', new ByteWriter().ascii(original).done()),
        leaf('schm', fullBoxPayload(0, 0, new ByteWriter().ascii('cenc').u32(0x0001_0000).done())),
        { type: 'schi', prefix: new Uint8Array(0), children: [tenc] },
      ],
    },
  ];
  const moov = boxes.find((b) => b.type === 'moov')!;
  moov.children = [...(moov.children ?? []).filter((b) => b.type !== 'pssh'), psshBox(kid)];
  return writeBoxes(boxes);
}

interface Subsample {
  clear: number;
  protected: number;
}

/** Where one fragment's samples are, from its `tfhd` and `trun`. */
function sampleSizes(traf: Mp4Box): { sizes: number[]; dataOffset: number; trun: Mp4Box } {
  const tfhd = traf.children?.find((b) => b.type === 'tfhd');
  const truns = (traf.children ?? []).filter((b) => b.type === 'trun');
  if (!tfhd || truns.length !== 1) throw new Error('cenc: expected a tfhd and one trun per traf');
  const trun = truns[0]!;
  const h = view(tfhd.prefix);
  const hFlags = h.getUint32(0) & 0xffffff;
  if (hFlags & 0x1) throw new Error('cenc: tfhd with a base data offset is not supported');
  if (!(hFlags & 0x20000)) throw new Error('cenc: expected default-base-is-moof');
  let at = 8;
  if (hFlags & 0x2) at += 4;
  if (hFlags & 0x8) at += 4;
  const defaultSize = hFlags & 0x10 ? h.getUint32(at) : undefined;

  const t = view(trun.prefix);
  const flags = t.getUint32(0) & 0xffffff;
  const count = t.getUint32(4);
  if (!(flags & 0x1)) throw new Error('cenc: trun without a data offset');
  const dataOffset = t.getInt32(8);
  let offset = 12 + (flags & 0x4 ? 4 : 0);
  const sizes: number[] = [];
  for (let i = 0; i < count; i++) {
    if (flags & 0x100) offset += 4;
    if (flags & 0x200) {
      sizes.push(t.getUint32(offset));
      offset += 4;
    } else if (defaultSize !== undefined) sizes.push(defaultSize);
    else throw new Error('cenc: trun gives no sample sizes and tfhd no default');
    if (flags & 0x400) offset += 4;
    if (flags & 0x800) offset += 4;
  }
  return { sizes, dataOffset, trun };
}

/** H.264 subsamples: NAL length and header clear, VCL payload in whole blocks protected, other NAL units clear. */
export function avcSubsamples(sample: Uint8Array, nalLengthSize: number): Subsample[] {
  const out: Subsample[] = [];
  let clear = 0;
  const flushClear = (protectedBytes: number) => {
    while (clear > 0xffff) {
      out.push({ clear: 0xffff, protected: 0 });
      clear -= 0xffff;
    }
    out.push({ clear, protected: protectedBytes });
    clear = 0;
  };
  let at = 0;
  while (at < sample.length) {
    if (at + nalLengthSize > sample.length) throw new Error('cenc: truncated NAL length');
    let size = 0;
    for (let i = 0; i < nalLengthSize; i++) size = size * 256 + sample[at + i]!;
    const end = at + nalLengthSize + size;
    if (end > sample.length) throw new Error('cenc: NAL unit overruns its sample');
    const nalType = sample[at + nalLengthSize]! & 0x1f;
    const vcl = nalType >= 1 && nalType <= 5;
    // The first byte (the NAL header) stays clear; what is protected is whole AES blocks.
    const protectedBytes = vcl && size > 1 ? Math.floor((size - 1) / 16) * 16 : 0;
    clear += nalLengthSize + size - protectedBytes;
    if (protectedBytes > 0) flushClear(protectedBytes);
    at = end;
  }
  if (clear > 0 || out.length === 0) flushClear(0);
  return out;
}

/** `sample` encrypted in place with AES-CTR from `iv` (8 bytes, then a 64-bit block counter from 0). */
function encryptSample(sample: Uint8Array, key: Uint8Array, iv: Uint8Array, subsamples: Subsample[] | undefined): void {
  const counter = new Uint8Array(16);
  counter.set(iv, 0);
  const cipher = createCipheriv('aes-128-ctr', key, counter);
  const ranges = subsamples ?? [{ clear: 0, protected: sample.length }];
  let at = 0;
  for (const { clear, protected: length } of ranges) {
    at += clear;
    // One keystream through the whole sample: CTR continues across its protected ranges.
    const encrypted = cipher.update(sample.subarray(at, at + length));
    sample.set(encrypted, at);
    at += length;
  }
  if (at !== sample.length) throw new Error('cenc: subsamples do not cover the sample');
}

/** One encrypted media segment (styp, moof, mdat) of a representation with `format`. */
export function encryptSegment(segment: Uint8Array, format: TrackFormat, key: ContentKey): Uint8Array {
  const boxes = parseBoxes(segment);
  const moof = boxes.find((b) => b.type === 'moof');
  const mdat = boxes.find((b) => b.type === 'mdat');
  if (!moof || !mdat) throw new Error('cenc: a media segment needs a moof and an mdat');
  if (boxes.filter((b) => b.type === 'moof').length !== 1) throw new Error('cenc: one moof per segment expected');
  const trafs = allBoxes([moof], 'traf');
  if (trafs.length !== 1) throw new Error('cenc: one track per segment expected');
  const traf = trafs[0]!;
  const { sizes, dataOffset, trun } = sampleSizes(traf);
  const oldMoofSize = writeBoxes([moof]).length;
  if (dataOffset !== oldMoofSize + 8) throw new Error('cenc: samples must start at the mdat payload');

  const data = Uint8Array.from(mdat.prefix);
  const senc = new ByteWriter().u32(sizes.length);
  const auxSizes: number[] = [];
  let at = 0;
  for (const size of sizes) {
    const sample = data.subarray(at, at + size);
    if (sample.length !== size) throw new Error('cenc: mdat shorter than its samples');
    const iv = randomBytes(IV_SIZE);
    const subsamples = format.kind === 'avc' ? avcSubsamples(sample, format.nalLengthSize) : undefined;
    encryptSample(sample, key.key, iv, subsamples);
    senc.bytes(iv);
    if (subsamples) {
      senc.u16(subsamples.length);
      for (const s of subsamples) senc.u16(s.clear).u32(s.protected);
    }
    auxSizes.push(IV_SIZE + (subsamples ? 2 + 6 * subsamples.length : 0));
    at += size;
  }
  mdat.prefix = data;

  const sencBox = leaf('senc', fullBoxPayload(0, format.kind === 'avc' ? 0x2 : 0, senc.done()));
  const uniform = auxSizes.every((s) => s === auxSizes[0]);
  const saiz = leaf(
    'saiz',
    fullBoxPayload(
      0,
      0,
      uniform
        ? new ByteWriter()
            .u8(auxSizes[0] ?? 0)
            .u32(auxSizes.length)
            .done()
        : new ByteWriter().u8(0).u32(auxSizes.length).bytes(Uint8Array.from(auxSizes)).done(),
    ),
  );
  if (auxSizes.some((s) => s > 255)) throw new Error('cenc: a sample has too many subsamples for saiz');
  const saio = leaf('saio', fullBoxPayload(0, 0, new ByteWriter().u32(1).u32(0).done()));
  traf.children = [
    ...(traf.children ?? []).filter((b) => !['senc', 'saiz', 'saio'].includes(b.type)),
    saiz,
    saio,
    sencBox,
  ];

  const newMoofSize = writeBoxes([moof]).length;
  // saio: where senc's first IV is, from the moof's first byte (the base of default-base-is-moof).
  const trafOffset =
    8 + (moof.children ?? []).slice(0, moof.children!.indexOf(traf)).reduce((s, b) => s + writeBoxes([b]).length, 0);
  const beforeSenc = traf.children.slice(0, -1).reduce((s, b) => s + writeBoxes([b]).length, 0);
  view(saio.prefix).setUint32(8, trafOffset + 8 + beforeSenc + 8 + 4 + 4);
  const trunPrefix = Uint8Array.from(trun.prefix);
  view(trunPrefix).setInt32(8, newMoofSize + 8);
  trun.prefix = trunPrefix;
  return writeBoxes(boxes.filter((b) => b.type !== 'sidx'));
}
