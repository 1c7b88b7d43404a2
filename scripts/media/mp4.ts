/**
 * Just enough ISO BMFF (MP4) box handling for the CENC packager: parse a file into a box tree,
 * change it, write it back with every size recomputed. Only the containers the packager walks are
 * opened; every other box is kept as its exact bytes.
 */

export interface Mp4Box {
  type: string;
  /** Bytes after the header and before the children (a sample entry's fixed fields, `stsd`'s count). */
  prefix: Uint8Array;
  /** Present for containers; leaves keep their payload in `prefix`. */
  children?: Mp4Box[];
}

/** Plain containers: all payload is child boxes. */
const CONTAINERS = new Set([
  'moov',
  'trak',
  'mdia',
  'minf',
  'stbl',
  'dinf',
  'edts',
  'mvex',
  'moof',
  'traf',
  'sinf',
  'schi',
]);
/** Boxes with a fixed prefix before their children: full box + entry count, sample entries (ISO/IEC 14496-12 §8.5.2, §12.1.3, §12.2.3). */
const PREFIXED: Record<string, number> = {
  stsd: 8,
  avc1: 78,
  avc3: 78,
  encv: 78,
  vp09: 78,
  mp4a: 28,
  enca: 28,
};

/** The boxes of `bytes` (a whole file or a container's payload). */
export function parseBoxes(bytes: Uint8Array): Mp4Box[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const boxes: Mp4Box[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + 8 > bytes.length) throw new Error(`truncated box header at ${offset}`);
    let size = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    let header = 8;
    if (size === 1) {
      size = Number(view.getBigUint64(offset + 8));
      header = 16;
    } else if (size === 0) {
      size = bytes.length - offset;
    }
    if (size < header || offset + size > bytes.length) throw new Error(`box ${type} at ${offset} overruns the data`);
    const payload = bytes.subarray(offset + header, offset + size);
    const prefixLength = CONTAINERS.has(type) ? 0 : PREFIXED[type];
    if (prefixLength === undefined) boxes.push({ type, prefix: payload });
    else
      boxes.push({
        type,
        prefix: payload.subarray(0, prefixLength),
        children: parseBoxes(payload.subarray(prefixLength)),
      });
    offset += size;
  }
  return boxes;
}

/** The size `box` takes when written. */
export function boxSize(box: Mp4Box): number {
  return 8 + box.prefix.length + (box.children ?? []).reduce((sum, child) => sum + boxSize(child), 0);
}

/** The bytes of `boxes`, sizes recomputed. */
export function writeBoxes(boxes: readonly Mp4Box[]): Uint8Array {
  const out = new Uint8Array(boxes.reduce((sum, b) => sum + boxSize(b), 0));
  let offset = 0;
  const write = (box: Mp4Box) => {
    const size = boxSize(box);
    new DataView(out.buffer).setUint32(offset, size);
    for (let i = 0; i < 4; i++) out[offset + 4 + i] = box.type.charCodeAt(i);
    out.set(box.prefix, offset + 8);
    offset += 8 + box.prefix.length;
    for (const child of box.children ?? []) write(child);
  };
  for (const box of boxes) write(box);
  return out;
}

/** The first box along `path` (types, outermost first), or undefined. */
export function findBox(boxes: readonly Mp4Box[], path: readonly string[]): Mp4Box | undefined {
  const [first, ...rest] = path;
  const box = boxes.find((b) => b.type === first);
  if (!box || rest.length === 0) return box;
  return findBox(box.children ?? [], rest);
}

/** Every box of `type` anywhere below `boxes`, depth first. */
export function allBoxes(boxes: readonly Mp4Box[], type: string): Mp4Box[] {
  return boxes.flatMap((b) => [...(b.type === type ? [b] : []), ...allBoxes(b.children ?? [], type)]);
}

/** A leaf box. */
export function leaf(type: string, payload: Uint8Array): Mp4Box {
  return { type, prefix: payload };
}

/** A full box's payload: version, 24-bit flags, then `body`. */
export function fullBoxPayload(version: number, flags: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  out[0] = version;
  out[1] = (flags >> 16) & 0xff;
  out[2] = (flags >> 8) & 0xff;
  out[3] = flags & 0xff;
  out.set(body, 4);
  return out;
}

/** Big-endian byte writer. */
export class ByteWriter {
  #bytes: number[] = [];
  u8(n: number): this {
    this.#bytes.push(n & 0xff);
    return this;
  }
  u16(n: number): this {
    return this.u8(n >> 8).u8(n);
  }
  u32(n: number): this {
    return this.u16(Math.floor(n / 0x10000)).u16(n & 0xffff);
  }
  bytes(b: Uint8Array): this {
    for (const x of b) this.#bytes.push(x);
    return this;
  }
  ascii(text: string): this {
    for (const ch of text) this.#bytes.push(ch.charCodeAt(0));
    return this;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }
}

export function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
