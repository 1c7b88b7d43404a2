/**
 * A sampling circuit breaker whose whole state is numbers: no promise, timer, signal or emitter
 * is kept between calls. In Workers every request, and every Durable Object, is its own I/O
 * context, and an isolate's breaker is shared by all of them: a promise or AbortSignal one
 * context made and another awaits fails with "Cannot perform I/O on behalf of a different
 * Durable Object" (cockatiel's half-open state is such a promise). Here each caller asks to be
 * admitted and reports how its call went; nothing else crosses between callers.
 *
 * Closed: calls go through, and their outcomes are counted over the last `windowMs` in buckets.
 * When a failure makes more than `threshold` of the window's calls failures, with at least
 * `minimumRps` calls a second in it, the breaker opens. Open: calls are refused, with how long is
 * left, for `halfOpenAfterMs`. Then the next call is admitted as the probe (half-open) and the
 * others are still refused; the probe's success closes the breaker with an empty window, its
 * failure opens it again. A probe that never reports (its request was cancelled) gives up the
 * slot after `probeTimeoutMs`.
 */

export interface SamplingBreakerSettings {
  /** Fraction of failed calls in the window above which the breaker opens, in (0, 1). */
  threshold: number;
  windowMs: number;
  /** Calls a second the window must have seen for its failure rate to count. */
  minimumRps: number;
  halfOpenAfterMs: number;
  probeTimeoutMs: number;
}

export type BreakerState = 'closed' | 'open' | 'half_open';

/** Go ahead (as the half-open probe or not), or refused for about `retryAfterMs`. */
export type Admission = { go: true; probe: boolean } | { go: false; retryAfterMs: number };

/** What a caller refused while the probe is out is told to wait. */
const HALF_OPEN_RETRY_MS = 1000;

/** Buckets in a window: at least 5, at most a second each. */
const bucketsFor = (windowMs: number) => Math.max(5, Math.ceil(windowMs / 1000));

export class SamplingBreaker {
  #state: BreakerState = 'closed';
  #openedAt = 0;
  #probeAt = 0;
  readonly #bucketMs: number;
  /** Per bucket: the bucket's number (time / bucketMs), its successes and failures. */
  readonly #index: number[];
  readonly #ok: number[];
  readonly #failed: number[];

  constructor(
    readonly settings: SamplingBreakerSettings,
    private readonly onChange: (state: BreakerState, at: number) => void = () => {},
  ) {
    if (!(settings.threshold > 0 && settings.threshold < 1)) throw new RangeError('threshold must be in (0, 1)');
    const buckets = bucketsFor(settings.windowMs);
    this.#bucketMs = settings.windowMs / buckets;
    this.#index = new Array<number>(buckets).fill(-1);
    this.#ok = new Array<number>(buckets).fill(0);
    this.#failed = new Array<number>(buckets).fill(0);
  }

  get state(): BreakerState {
    return this.#state;
  }

  /** When the breaker last opened (ms since the epoch; 0 if never). */
  get openedAt(): number {
    return this.#openedAt;
  }

  admit(now: number): Admission {
    if (this.#state === 'closed') return { go: true, probe: false };
    if (this.#state === 'open') {
      const left = this.#openedAt + this.settings.halfOpenAfterMs - now;
      if (left > 0) return { go: false, retryAfterMs: left };
      this.#probeAt = now;
      this.#move('half_open', now);
      return { go: true, probe: true };
    }
    if (now - this.#probeAt >= this.settings.probeTimeoutMs) {
      this.#probeAt = now;
      return { go: true, probe: true };
    }
    // The probe's answer decides, usually within a round trip: come back in a second.
    return { go: false, retryAfterMs: Math.min(HALF_OPEN_RETRY_MS, this.settings.halfOpenAfterMs) };
  }

  /** A call admitted with `probe` succeeded. */
  success(probe: boolean, now: number): void {
    if (this.#state === 'half_open' && probe) {
      this.#clear();
      this.#move('closed', now);
      return;
    }
    if (this.#state === 'closed') this.#count(now, true);
  }

  /** A call admitted with `probe` failed in a way that counts. */
  failure(probe: boolean, now: number): void {
    if (this.#state === 'half_open' && probe) {
      this.#open(now);
      return;
    }
    if (this.#state !== 'closed') return;
    this.#count(now, false);
    const { ok, failed } = this.#window(now);
    const total = ok + failed;
    if (total < (this.settings.windowMs / 1000) * this.settings.minimumRps) return;
    if (failed > this.settings.threshold * total) this.#open(now);
  }

  #open(now: number): void {
    this.#openedAt = now;
    this.#move('open', now);
  }

  #move(state: BreakerState, now: number): void {
    this.#state = state;
    this.onChange(state, now);
  }

  #clear(): void {
    this.#index.fill(-1);
    this.#ok.fill(0);
    this.#failed.fill(0);
  }

  /** Counts one outcome in its bucket. */
  #count(now: number, success: boolean): void {
    const index = Math.floor(now / this.#bucketMs);
    const slot = index % this.#index.length;
    if (this.#index[slot] !== index) {
      this.#index[slot] = index;
      this.#ok[slot] = 0;
      this.#failed[slot] = 0;
    }
    if (success) this.#ok[slot]! += 1;
    else this.#failed[slot]! += 1;
  }

  /** The outcomes of the window that ends at `now`. */
  #window(now: number): { ok: number; failed: number } {
    const index = Math.floor(now / this.#bucketMs);
    let ok = 0;
    let failed = 0;
    const oldest = index - this.#index.length + 1;
    for (let i = 0; i < this.#index.length; i++) {
      if (this.#index[i]! < oldest) continue;
      ok += this.#ok[i]!;
      failed += this.#failed[i]!;
    }
    return { ok, failed };
  }
}
