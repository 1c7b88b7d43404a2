/**
 * The `pssh` box that names key ids for W3C Clear Key (the "Common PSSH box format", system id
 * 1077efec-c0b2-4d02-ace3-3c1e52e2fb4b, version 1 with a key id list): written into init segments
 * by the packager and, base64, into the MPD's `cenc:pssh`, so a browser can make its licence
 * request from either.
 */
import { kidBytes } from './key-wrap.ts';

export const COMMON_PSSH_SYSTEM_ID = '1077efec-c0b2-4d02-ace3-3c1e52e2fb4b';

/** The whole pssh box for `kids` (UUID form). */
export function clearKeyPsshBox(kids: readonly string[]): Uint8Array {
  const size = 8 + 4 + 16 + 4 + 16 * kids.length + 4;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, size);
  out.set([0x70, 0x73, 0x73, 0x68], 4); // "pssh"
  out[8] = 1; // version 1, flags 0
  out.set(kidBytes(COMMON_PSSH_SYSTEM_ID), 12);
  view.setUint32(28, kids.length);
  kids.forEach((kid, i) => out.set(kidBytes(kid), 32 + 16 * i));
  view.setUint32(32 + 16 * kids.length, 0); // no data
  return out;
}
