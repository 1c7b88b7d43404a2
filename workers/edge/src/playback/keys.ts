/** The segment-token key set (secret `SEGMENT_SIGNING_KEYS`), parsed once per isolate. */
import { parseSegmentKeySet, type SegmentKeySet } from '../../../../core/segment-token.ts';

let cached: { raw: string; keys: SegmentKeySet } | undefined;

export function segmentKeys(env: Pick<Env, 'SEGMENT_SIGNING_KEYS'>): SegmentKeySet {
  if (cached?.raw !== env.SEGMENT_SIGNING_KEYS) {
    try {
      cached = { raw: env.SEGMENT_SIGNING_KEYS, keys: parseSegmentKeySet(env.SEGMENT_SIGNING_KEYS) };
    } catch (err) {
      // The message names the broken field, never a secret.
      throw new Error(`SEGMENT_SIGNING_KEYS: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return cached.keys;
}
