/**
 * What the FlushRelay's RPC method takes and answers, for its callers (the progress buffer's
 * flush.ts) to import without the Durable Object class. Failures come back as values: an error
 * thrown across RPC loses its class, and the buffer needs the kind to decide how loudly to log.
 */
import type { FlushResponse, ProgressEntry } from '../../../core/progress.ts';
import type { Identity } from '../../../core/tokens.ts';

/** One profile's flush, as its buffer hands it to the relay. */
export interface RelayFlush {
  owner: Pick<Identity, 'accountId' | 'profileId'>;
  batchId: string;
  entries: ProgressEntry[];
}

/**
 * Why a part was not acknowledged. `unreachable`: no answer in time; `unavailable`: the origin
 * said try later (5xx, 408, 429, or this part's write failed); `rejected`: any other 4xx, or the
 * part itself was refused, a bug on one side; `malformed`: a 200 whose body does not answer the part.
 */
export type FlushFailureKind = 'unreachable' | 'unavailable' | 'rejected' | 'malformed';

/** What `flush` answers: the origin's acknowledgement of this part, or why there is none. */
export type RelayOutcome =
  ({ ok: true } & FlushResponse) | { ok: false; kind: FlushFailureKind; status?: number; message: string };
