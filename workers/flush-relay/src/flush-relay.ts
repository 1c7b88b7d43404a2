/**
 * FlushRelay: a few Durable Objects (the buffer picks one by a hash of its profile) that carry many
 * profiles' progress flushes to the origin together, in one `POST /internal/v1/progress/flush-batch`
 * with one service credential, instead of one request per profile. Batching rules: relay.ts.
 *
 * The relay keeps nothing durable and acknowledges nothing itself: a buffer marks its entries clean
 * only once the relay has passed on the ORIGIN's acknowledgement of its own part, which the origin
 * gives only once the progress store and the event log took it. An evicted, restarted or crashed
 * relay makes the buffer's call fail; the buffer keeps its entries dirty (durably, in its own
 * storage) and retries with its backoff, and both origin writes are idempotent. So no single
 * failure, of the relay, the origin or a store, loses an acknowledged heartbeat.
 */
import { DurableObject } from 'cloudflare:workers';
import { FLUSH_BATCH_PATH, FlushPart } from '../../../core/progress.ts';
import { HttpError } from '../../../core/problem.ts';
import { createLogger, errorText } from '../../../core/log.ts';
import { originFetch } from '../../shared/origin-client.ts';
import { BATCH_LIMITS, partOutcomes, statusOutcome, takeBatch, type Queued } from './relay.ts';
import type { RelayFlush, RelayOutcome } from './rpc.ts';

/** A batch writes up to 2,000 rows and publishes as many events: more time than an interactive call. */
export const FLUSH_TIMEOUT_MS = 15_000;

interface Waiting extends Queued {
  resolve: (outcome: RelayOutcome) => void;
}

const encoder = new TextEncoder();
const log = createLogger('flush-relay');

export class FlushRelay extends DurableObject<Env> {
  #queue: Waiting[] = [];
  #inFlight = 0;

  /** Relays one profile's flush; resolves with the origin's answer for this part (never throws for the origin). */
  async flush(request: RelayFlush): Promise<RelayOutcome> {
    // Checked here so that one bad part is refused alone instead of failing the batch it would join.
    const parsed = FlushPart.safeParse({
      batchId: request.batchId,
      accountId: request.owner.accountId,
      profileId: request.owner.profileId,
      entries: request.entries,
    });
    if (!parsed.success) return { ok: false, kind: 'rejected', message: 'The flush is not a valid flush part' };
    const part = parsed.data;
    return new Promise<RelayOutcome>((resolve) => {
      this.#queue.push({ part, bytes: encoder.encode(JSON.stringify(part)).byteLength, resolve });
      this.#pump();
    });
  }

  /** For tests and diagnostics: parts waiting and origin requests in flight. */
  stats(): { queued: number; inFlight: number } {
    return { queued: this.#queue.length, inFlight: this.#inFlight };
  }

  #pump(): void {
    for (;;) {
      const next = takeBatch(this.#queue, this.#inFlight, BATCH_LIMITS);
      if (!next) return;
      this.#queue = next.rest;
      this.#inFlight += 1;
      void this.#send(next.batch).finally(() => {
        this.#inFlight -= 1;
        this.#pump();
      });
    }
  }

  /** One origin request for `batch`; answers every part, whatever happens. */
  async #send(batch: Waiting[]): Promise<void> {
    const parts = batch.map((w) => w.part);
    const requestId = crypto.randomUUID();
    let outcomes: RelayOutcome[];
    try {
      outcomes = await this.#request(requestId, parts);
    } catch (err) {
      // Only a bug of ours gets here: every part still gets an answer, and its buffer retries.
      outcomes = parts.map(() => unreachable(`The relay failed: ${errorText(err)}`));
    }
    batch.forEach((w, i) => w.resolve(outcomes[i]!));
    const failed = outcomes.filter((o) => !o.ok);
    if (failed.length > 0) {
      log.warn('relay_batch_failed', {
        requestId,
        parts: parts.length,
        failed: failed.length,
        reasons: [...new Set(failed.map((o) => (o.ok ? '' : o.kind)))],
      });
    }
  }

  async #request(requestId: string, parts: FlushPart[]): Promise<RelayOutcome[]> {
    let response: Response;
    try {
      response = await originFetch(this.env, {
        method: 'POST',
        path: FLUSH_BATCH_PATH,
        body: { parts },
        // No caller: the credential names no user, each part names its profile.
        requestId,
        timeoutMs: FLUSH_TIMEOUT_MS,
        // The buffers have their own capped, jittered backoff; they are the probe, not the traffic.
        breaker: false,
      });
    } catch (err) {
      if (err instanceof HttpError) return parts.map(() => unreachable('The origin did not answer in time'));
      throw err;
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      return parts.map(() => statusOutcome(response.status));
    }
    let text: string;
    try {
      text = await response.text();
    } catch {
      return parts.map(() => unreachable('The origin broke off its answer'));
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return partOutcomes(parts, json);
  }
}

function unreachable(message: string): RelayOutcome {
  return { ok: false, kind: 'unreachable', message };
}
