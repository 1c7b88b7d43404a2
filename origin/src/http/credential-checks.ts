/**
 * What the origin remembers to check service credentials beyond their signature: the `jti`s
 * already used (a replay is refused) and which account each profile belongs to (a credential
 * naming another account's profile is refused). Both in this process's memory.
 */
import { CLOCK_TOLERANCE_S, SERVICE_TOKEN_TTL_S } from '../../../core/tokens.ts';

/**
 * A map in two generations: writes go to the current one, and a read found only in the previous
 * one moves it to the current one. Dropping the previous generation forgets, in O(1), whatever
 * was not used since the last rotation. (An LRU `Map` that evicts its first key instead slows
 * down as it fills: V8 leaves deleted entries in place until a rehash, and every `keys().next()`
 * walks past them, ~15 µs an eviction at 50,000 entries.)
 */
class Generations<K, V> {
  #current = new Map<K, V>();
  #previous = new Map<K, V>();

  get(key: K): V | undefined {
    const hit = this.#current.get(key);
    if (hit !== undefined) return hit;
    const old = this.#previous.get(key);
    if (old !== undefined) {
      this.#previous.delete(key);
      this.#current.set(key, old);
    }
    return old;
  }

  set(key: K, value: V): void {
    this.#current.set(key, value);
  }

  delete(key: K): void {
    this.#current.delete(key);
    this.#previous.delete(key);
  }

  /** Entries in the current generation. */
  get fresh(): number {
    return this.#current.size;
  }

  get size(): number {
    return this.#current.size + this.#previous.size;
  }

  rotate(): void {
    this.#previous = this.#current;
    this.#current = new Map();
  }
}

/**
 * How long, at most, a credential is still valid after it was first seen: issued up to the
 * tolerance in the future, living its TTL plus the tolerance, accepted the tolerance past expiry.
 */
const CREDENTIAL_WINDOW_MS = (SERVICE_TOKEN_TTL_S + 3 * CLOCK_TOLERANCE_S) * 1000;

/**
 * The credential ids seen, each kept at least until its credential has expired (plus the clock
 * tolerance): after that the credential is refused as expired anyway. Generations rotate at the
 * first claim `CREDENTIAL_WINDOW_MS` or more after the last rotation, so an id is kept at least one
 * window, and memory holds about two windows' credentials. Per origin instance: with several
 * instances behind a balancer each refuses the replays it sees itself, so a replay sent to another instance within the
 * credential's 60 s passes; the body, method and path binding still limit it to repeating exactly
 * the same request.
 */
export class SeenCredentials {
  /** jti → expiry (ms). */
  readonly #seen = new Generations<string, number>();
  #rotatesAt: number | null = null;

  /** Records `jti` as used; false when it was already used and has not expired. */
  claim(jti: string, expSeconds: number, now = Date.now()): boolean {
    // Whatever is older than the window an id was last rotated in has expired: a late rotation
    // only keeps expired ids a window longer, and those are never mistaken for a replay.
    if (this.#rotatesAt !== null && now >= this.#rotatesAt) this.#seen.rotate();
    if (this.#rotatesAt === null || now >= this.#rotatesAt) this.#rotatesAt = now + CREDENTIAL_WINDOW_MS;
    const until = this.#seen.get(jti);
    if (until !== undefined && until >= now) return false;
    this.#seen.set(jti, (expSeconds + CLOCK_TOLERANCE_S) * 1000);
    return true;
  }

  get size(): number {
    return this.#seen.size;
  }
}

/** How long a profile's account is remembered; a profile never moves to another account. */
export const PROFILE_OWNER_TTL_MS = 5 * 60_000;
/** An unknown profile is remembered briefly, so one created just now is found soon. */
export const UNKNOWN_PROFILE_TTL_MS = 30_000;
export const PROFILE_OWNERS_MAX = 50_000;

/**
 * Profile id → its account id (`null`: no such profile), from PostgreSQL, remembered with a TTL
 * in two generations of at most `PROFILE_OWNERS_MAX / 2` entries each (least recently used
 * forgotten first). No route deletes a profile today; one that does must call `forget`. Until then, and
 * across instances, the TTL bounds how long a deleted profile still passes as its account's.
 */
export class ProfileOwners {
  readonly #entries = new Generations<string, { accountId: string | null; until: number }>();
  readonly #load: (profileIds: readonly string[]) => Promise<ReadonlyMap<string, string>>;

  /** `load`: the account of each of these profiles that exists (one query for all of them). */
  constructor(load: (profileIds: readonly string[]) => Promise<ReadonlyMap<string, string>>) {
    this.#load = load;
  }

  async ownerOf(profileId: string, now = Date.now()): Promise<string | null> {
    return (await this.ownersOf([profileId], now)).get(profileId) ?? null;
  }

  /**
   * The account of each profile (`null`: no such profile), the ones not remembered loaded in one
   * call: a flush batch names hundreds of profiles, most of them not seen for minutes.
   */
  async ownersOf(profileIds: readonly string[], now = Date.now()): Promise<Map<string, string | null>> {
    const owners = new Map<string, string | null>();
    const missing: string[] = [];
    for (const profileId of profileIds) {
      const hit = this.#entries.get(profileId);
      if (hit && hit.until > now) owners.set(profileId, hit.accountId);
      else if (!owners.has(profileId)) {
        owners.set(profileId, null);
        missing.push(profileId);
      }
    }
    if (missing.length === 0) return owners;
    const loaded = await this.#load(missing);
    for (const profileId of missing) {
      const accountId = loaded.get(profileId) ?? null;
      if (this.#entries.fresh >= PROFILE_OWNERS_MAX / 2) this.#entries.rotate();
      const ttl = accountId === null ? UNKNOWN_PROFILE_TTL_MS : PROFILE_OWNER_TTL_MS;
      this.#entries.set(profileId, { accountId, until: now + ttl });
      owners.set(profileId, accountId);
    }
    return owners;
  }

  forget(profileId: string): void {
    this.#entries.delete(profileId);
  }
}
