/**
 * Consumer groups started beside the HTTP server, not before it: joining a group waits for the
 * broker to rebalance it, and after a crash that is until the dead member's session times out
 * (15 s and more). Requests never need a consumer, so the origin answers at once and the consumers
 * join when they can, retried with capped backoff while Kafka is unreachable.
 */
import type { Logger } from '../log.ts';
import type { Subscription } from '../stores/types.ts';

export interface BackgroundConsumer {
  /** Resolves once the consumer runs (for tests and logs); never rejects. */
  readonly started: Promise<boolean>;
  /** Stops it: cancels a pending retry, or waits for a start under way and stops what it started. */
  stop(): Promise<void>;
}

export interface BackgroundOptions {
  /** First retry delay; doubled each time up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
}

export function startInBackground(
  name: string,
  start: () => Promise<Subscription>,
  log: Logger,
  { retryMs = 1000, maxRetryMs = 30_000 }: BackgroundOptions = {},
): BackgroundConsumer {
  let stopped = false;
  let wake: (() => void) | undefined;
  let subscription: Subscription | undefined;
  const started = (async () => {
    for (let attempt = 0; !stopped; attempt++) {
      try {
        const sub = await start();
        if (stopped) {
          await sub.stop().catch(() => undefined);
          return false;
        }
        subscription = sub;
        log.info('consumer_started', { consumer: name, attempts: attempt + 1 });
        return true;
      } catch (err) {
        const delayMs = Math.min(maxRetryMs, retryMs * 2 ** attempt);
        log.warn('consumer_start_failed', {
          consumer: name,
          retryInMs: delayMs,
          error: err instanceof Error ? err.message : String(err),
        });
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delayMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
    return false;
  })();
  return {
    started,
    async stop() {
      stopped = true;
      wake?.();
      await started;
      await subscription?.stop();
    },
  };
}
