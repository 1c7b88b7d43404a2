/**
 * One flush of a buffer's batch, through its flush relay (workers/flush-relay), which carries it to
 * the origin together with other profiles' flushes; the relay's answer sorted into what the buffer
 * does next. Only the origin's acknowledgement of this batch resolves: the relay itself keeps and
 * vouches for nothing, so a relay that is evicted or crashes mid-call is just a failed flush.
 */
import type { FlushResponse, ProgressEntry } from '../../../core/progress.ts';
import { shardOf } from '../../../core/shard.ts';
import type { Identity } from '../../../core/tokens.ts';
import type { FlushFailureKind } from '../../flush-relay/src/rpc.ts';

/**
 * Why a flush did not go through. `unreachable`: no answer in time (or the relay failed);
 * `unavailable`: the origin said try later; `rejected`: the origin refused it, a bug on one side;
 * `malformed`: the origin's 200 did not answer it. All of them are retried: the buffer never drops
 * unflushed progress.
 */
export class FlushError extends Error {
  readonly kind: FlushFailureKind;
  readonly status: number | undefined;

  constructor(kind: FlushError['kind'], message: string, status?: number) {
    super(message);
    this.name = 'FlushError';
    this.kind = kind;
    this.status = status;
  }
}

/** The relay of a profile: one of `shards`, by a stable hash of the profile id. */
export function relayName(profileId: string, shards: number): string {
  return `relay:${shardOf(profileId, shards)}`;
}

/** Sends one batch; resolves with the origin's acknowledgement or throws a `FlushError`. */
export async function sendFlush(
  env: Pick<Env, 'FLUSH_RELAY'>,
  shards: number,
  owner: Identity,
  entries: ProgressEntry[],
  batchId: string,
): Promise<FlushResponse> {
  const relay = env.FLUSH_RELAY.get(env.FLUSH_RELAY.idFromName(relayName(owner.profileId, shards)));
  let outcome;
  try {
    outcome = await relay.flush({
      owner: { accountId: owner.accountId, profileId: owner.profileId },
      batchId,
      entries,
    });
  } catch (err) {
    throw new FlushError('unreachable', `The flush relay failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!outcome.ok) throw new FlushError(outcome.kind, outcome.message, outcome.status);
  return { acknowledged: outcome.acknowledged, dropped: outcome.dropped };
}
