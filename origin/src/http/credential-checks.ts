/**
 * What the origin remembers to check service credentials beyond their signature: the `jti`s
 * already used (a replay is refused) and which account each profile belongs to (a credential
 * naming another account's profile is refused). Both in this process's memory.
 */
import { CLOCK_TOLERANCE_S } from '../../../core/tokens.ts';

/**
 * The credential ids seen, each kept until its credential has expired (plus the clock
 * tolerance): after that the credential is refused as expired anyway. Per origin instance: with
 * several instances behind a balancer each refuses the replays it sees itself, so a replay sent to
 * another instance within the credential's 60 s passes; the body, method and path binding still
 * limit it to repeating exactly the same request.
 */
export class SeenCredentials {
  /** jti → expiry (ms). Insertion order is nearly expiry order: credentials live 60 s each. */
  readonly #seen = new Map<string, number>();

  /** Records `jti` as used; false when it was already used and has not expired. */
  claim(jti: string, expSeconds: number, now = Date.now()): boolean {
    this.#sweep(now);
    const until = this.#seen.get(jti);
    if (until !== undefined && until >= now) return false;
    this.#seen.set(jti, (expSeconds + CLOCK_TOLERANCE_S) * 1000);
    return true;
  }

  get size(): number {
    return this.#seen.size;
  }

  #sweep(now: number): void {
    for (const [jti, until] of this.#seen) {
      if (until >= now) break;
      this.#seen.delete(jti);
    }
  }
}

/** How long a profile's account is remembered; a profile never moves to another account. */
export const PROFILE_OWNER_TTL_MS = 5 * 60_000;
/** An unknown profile is remembered briefly, so one created just now is found soon. */
export const UNKNOWN_PROFILE_TTL_MS = 30_000;
export const PROFILE_OWNERS_MAX = 50_000;

/**
 * Profile id → its account id (`null`: no such profile), from PostgreSQL, in a bounded LRU map
 * with a TTL. No route deletes a profile today; one that does must call `forget`. Until then, and
 * across instances, the TTL bounds how long a deleted profile still passes as its account's.
 */
export class ProfileOwners {
  readonly #entries = new Map<string, { accountId: string | null; until: number }>();
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
      if (hit && hit.until > now) {
        // Most recently used last, so the first entry is the one to evict.
        this.#entries.delete(profileId);
        this.#entries.set(profileId, hit);
        owners.set(profileId, hit.accountId);
      } else if (!owners.has(profileId)) {
        owners.set(profileId, null);
        missing.push(profileId);
      }
    }
    if (missing.length === 0) return owners;
    const loaded = await this.#load(missing);
    for (const profileId of missing) {
      const accountId = loaded.get(profileId) ?? null;
      this.#entries.delete(profileId);
      if (this.#entries.size >= PROFILE_OWNERS_MAX) {
        const oldest = this.#entries.keys().next();
        if (!oldest.done) this.#entries.delete(oldest.value);
      }
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
