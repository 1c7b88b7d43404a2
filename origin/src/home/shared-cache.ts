/**
 * An in-process cache of computed values with a time to live and single flight: while a value is
 * being computed every caller of its key waits for that one computation, and a failed one is
 * forgotten at once so the next caller tries again. Bounded (the oldest key goes first).
 */
export interface SharedCacheOptions {
  ttlMs: number;
  maxEntries: number;
  /** The clock (tests move it). */
  now?: () => number;
}

interface Entry<T> {
  value: Promise<T>;
  /** Infinity while the computation is in flight. */
  expires: number;
}

export class SharedCache<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #options: Required<SharedCacheOptions>;

  constructor(options: SharedCacheOptions) {
    this.#options = { now: Date.now, ...options };
  }

  /** The value under `key`: kept, in flight, or computed now by `compute`. */
  get(key: string, compute: () => Promise<T>): Promise<T> {
    const hit = this.#entries.get(key);
    if (hit && hit.expires > this.#options.now()) return hit.value;
    const entry: Entry<T> = { value: compute(), expires: Number.POSITIVE_INFINITY };
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    while (this.#entries.size > this.#options.maxEntries)
      this.#entries.delete(this.#entries.keys().next().value as string);
    entry.value.then(
      () => {
        // Only the entry still under its key counts: a `clear()` during the computation wins.
        if (this.#entries.get(key) === entry) entry.expires = this.#options.now() + this.#options.ttlMs;
      },
      () => {
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
      },
    );
    return entry.value;
  }

  /** Forgets every value, so the next caller of each key computes it afresh. */
  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}
