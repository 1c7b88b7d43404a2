import { describe, expect, it } from 'vitest';
import { PROFILE_OWNER_TTL_MS, ProfileOwners, UNKNOWN_PROFILE_TTL_MS } from './credential-checks.ts';

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
