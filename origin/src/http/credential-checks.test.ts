import { describe, expect, it } from 'vitest';
import { SERVICE_TOKEN_TTL_S } from '../../../core/tokens.ts';
import {
  PROFILE_OWNER_TTL_MS,
  PROFILE_OWNERS_MAX,
  ProfileOwners,
  SeenCredentials,
  UNKNOWN_PROFILE_TTL_MS,
} from './credential-checks.ts';

describe('ProfileOwners', () => {
  it('loads the profiles it does not remember in one call, an unknown one as null', async () => {
    const calls: string[][] = [];
    const owners = new ProfileOwners(async (ids) => {
      calls.push([...ids]);
      return new Map(ids.filter((id) => id !== 'nobody').map((id) => [id, `account-of-${id}`]));
    });
    expect(await owners.ownerOf('a', 0)).toBe('account-of-a');
    const answer = await owners.ownersOf(['a', 'b', 'nobody', 'b'], 0);
    expect(Object.fromEntries(answer)).toEqual({ a: 'account-of-a', b: 'account-of-b', nobody: null });
    expect(calls).toEqual([['a'], ['b', 'nobody']]);
  });

  it('asks again once a known owner or an unknown profile has been remembered long enough', async () => {
    let loads = 0;
    const owners = new ProfileOwners(async (ids) => {
      loads += 1;
      return new Map(ids.filter((id) => id === 'a').map((id) => [id, 'acct']));
    });
    await owners.ownersOf(['a', 'nobody'], 0);
    await owners.ownersOf(['a', 'nobody'], UNKNOWN_PROFILE_TTL_MS - 1);
    expect(loads).toBe(1);
    await owners.ownersOf(['a'], UNKNOWN_PROFILE_TTL_MS + 1);
    expect(loads).toBe(1);
    await owners.ownersOf(['nobody'], UNKNOWN_PROFILE_TTL_MS + 1);
    expect(loads).toBe(2);
    await owners.ownersOf(['a'], PROFILE_OWNER_TTL_MS + 1);
    expect(loads).toBe(3);
  });
});

describe('ProfileOwners memory', () => {
  it('stays within PROFILE_OWNERS_MAX and keeps the profiles used recently', async () => {
    let loads = 0;
    const owners = new ProfileOwners(async (ids) => {
      loads += ids.length;
      return new Map(ids.map((id) => [id, 'acct']));
    });
    await owners.ownersOf(['regular'], 0);
    for (let i = 0; i < 3 * PROFILE_OWNERS_MAX; i += 1000) {
      await owners.ownersOf(
        Array.from({ length: 1000 }, (_, k) => `p${i + k}`),
        0,
      );
      // A profile that flushes every batch is never forgotten, however many others pass by.
      await owners.ownersOf(['regular'], 0);
    }
    expect(loads).toBe(1 + 3 * PROFILE_OWNERS_MAX);
    // Early ones were forgotten (asked again), the latest ones are still known.
    await owners.ownersOf(['p0', `p${3 * PROFILE_OWNERS_MAX - 1}`], 0);
    expect(loads).toBe(2 + 3 * PROFILE_OWNERS_MAX);
  });
});

describe('SeenCredentials', () => {
  const exp = (nowMs: number) => Math.floor(nowMs / 1000) + SERVICE_TOKEN_TTL_S;

  it('refuses a credential id seen before while the credential is still valid', () => {
    const seen = new SeenCredentials();
    const t0 = 1_000_000;
    expect(seen.claim('a', exp(t0), t0)).toBe(true);
    expect(seen.claim('a', exp(t0), t0 + 1000)).toBe(false);
    // Still refused up to the last moment the credential itself would be accepted.
    expect(seen.claim('a', exp(t0), t0 + (SERVICE_TOKEN_TTL_S + 30) * 1000)).toBe(false);
    expect(seen.claim('b', exp(t0), t0 + 1000)).toBe(true);
  });

  it('forgets ids whose credentials expired, so memory holds at most two windows of them', () => {
    const seen = new SeenCredentials();
    const window = (SERVICE_TOKEN_TTL_S + 90) * 1000;
    let peak = 0;
    for (let t = 0; t < 10 * window; t += 100) {
      seen.claim(`jti-${t}`, exp(t), t);
      peak = Math.max(peak, seen.size);
    }
    expect(peak).toBeLessThanOrEqual((2 * window) / 100 + 1);
  });
});
