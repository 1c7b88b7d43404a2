import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  admitLogin,
  DEVICE_TOKEN_TTL_S,
  deviceTokenKey,
  loginOutcome,
  loginReleases,
  signDeviceToken,
  verifyDeviceToken,
  type LimitStore,
  type LoginOutcome,
} from './login-limit.ts';
import { releaseHit, slidingLogCheck, type HitLog } from './rate-limit.ts';

const RULE = { limit: 5, windowMs: 300_000 };
const SECRET = 'a-service-secret-of-enough-length-0001';

/** The RateLimiter's bookkeeping in a map, on a clock the test moves. */
class MemoryStore implements LimitStore {
  now = 1_000_000;
  logs = new Map<string, HitLog>();
  check: LimitStore['check'] = async (checks) =>
    checks.map(({ key, limit, windowMs }) => {
      const log = this.logs.get(key) ?? [];
      this.logs.set(key, log);
      return slidingLogCheck(log, { limit, windowMs }, this.now);
    });
  release: LimitStore['release'] = async (releases) => {
    for (const r of releases) {
      if ('all' in r) this.logs.delete(r.key);
      else releaseHit(this.logs.get(r.key) ?? [], r.at);
    }
  };
}

/** One sign-in for the victim's email as the edge runs it: admit, check the password, settle. */
async function signIn(
  store: MemoryStore,
  device: { id?: string | undefined },
  correct: boolean,
): Promise<'signed_in' | 'wrong' | 'refused'> {
  const admission = await admitLogin(store, RULE, { emailHash: 'victim', deviceId: device.id });
  if (!admission.allowed) return 'refused';
  const outcome: LoginOutcome = correct ? 'succeeded' : 'failed';
  await store.release(loginReleases(admission, outcome));
  // A success hands the device a new token.
  if (correct) device.id = crypto.randomUUID();
  return correct ? 'signed_in' : 'wrong';
}

type Step =
  | { kind: 'guess' }
  | { kind: 'owner'; correct: boolean }
  | { kind: 'newDevice'; correct: boolean }
  | { kind: 'wait'; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'guess' as const }), weight: 6 },
  { arbitrary: fc.boolean().map((correct) => ({ kind: 'owner' as const, correct })), weight: 3 },
  { arbitrary: fc.boolean().map((correct) => ({ kind: 'newDevice' as const, correct })), weight: 2 },
  { arbitrary: fc.integer({ min: 1, max: 200_000 }).map((ms) => ({ kind: 'wait' as const, ms })), weight: 2 },
);

describe('the login limiter', () => {
  it('never refuses the owner’s known device while its own failures are under the limit, whatever arrives from elsewhere', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 80 }), async (steps) => {
        const store = new MemoryStore();
        const owner: { id?: string } = {};
        expect(await signIn(store, owner, true)).toBe('signed_in');
        let ownerFailures = 0;
        for (const s of steps) {
          if (s.kind === 'wait') store.now += s.ms;
          else if (s.kind === 'guess') await signIn(store, {}, false);
          else if (s.kind === 'newDevice') await signIn(store, {}, s.correct);
          else if (ownerFailures < RULE.limit) {
            const answer = await signIn(store, owner, s.correct);
            expect(answer).toBe(s.correct ? 'signed_in' : 'wrong');
            ownerFailures = s.correct ? 0 : ownerFailures + 1;
          }
        }
      }),
    );
  });

  it('refuses an unknown device exactly when the email has the limit of failures within the window (successes do not count)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 80 }), async (steps) => {
        const store = new MemoryStore();
        const owner: { id?: string } = {};
        let ownerFailures = 0;
        /** Times of the failed attempts counted per email (unknown devices, and an invalidated token's). */
        const failures: number[] = [];
        const inWindow = () => failures.filter((t) => t > store.now - RULE.windowMs).length;
        for (const s of steps) {
          if (s.kind === 'wait') {
            store.now += s.ms;
            continue;
          }
          const trusted = s.kind === 'owner' && owner.id !== undefined && ownerFailures < RULE.limit;
          const expectedRefusal = !trusted && inWindow() >= RULE.limit;
          const correct = s.kind !== 'guess' && s.correct;
          const answer = await signIn(store, s.kind === 'owner' ? owner : {}, correct);
          expect(answer === 'refused').toBe(expectedRefusal);
          if (answer === 'wrong' && !trusted) failures.push(store.now);
          if (s.kind === 'owner' && answer !== 'refused') ownerFailures = correct ? 0 : ownerFailures + 1;
        }
      }),
    );
  });

  it('invalidates a device token after the limit of failures: the device then counts as unknown', async () => {
    const store = new MemoryStore();
    const device: { id?: string } = {};
    await signIn(store, device, true);
    const token = device.id;
    for (let i = 0; i < RULE.limit; i++) expect(await signIn(store, device, false)).toBe('wrong');
    // Its next failures use up the email's budget, as an unknown device's would.
    for (let i = 0; i < RULE.limit; i++) expect(await signIn(store, device, false)).toBe('wrong');
    expect(await signIn(store, device, true)).toBe('refused');
    // Days later the token is still worth nothing, but the email's window has passed.
    store.now += 3 * 86_400_000;
    expect(await signIn(store, { id: token }, false)).toBe('wrong');
    expect(store.logs.get(`auth:email:victim`)).toHaveLength(1);
  });

  it('admits at most the limit from a burst of parallel guesses, and gives back parallel successes', async () => {
    const store = new MemoryStore();
    const guesses = await Promise.all(Array.from({ length: 20 }, () => signIn(store, {}, false)));
    expect(guesses.filter((a) => a === 'wrong')).toHaveLength(RULE.limit);
    const fresh = new MemoryStore();
    const owners = await Promise.all(Array.from({ length: 3 }, () => signIn(fresh, {}, true)));
    expect(owners).toEqual(['signed_in', 'signed_in', 'signed_in']);
    expect(fresh.logs.get('auth:email:victim')).toEqual([]);
  });

  it('counts only a wrong password as a failure: 2xx signed in, anything else is given back', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }), (status) => {
        const expected = status >= 200 && status < 300 ? 'succeeded' : status === 401 ? 'failed' : 'undecided';
        expect(loginOutcome(status)).toBe(expected);
      }),
    );
  });
});

describe('device tokens', () => {
  it('verify for their email in any letter case, and name one device id', async () => {
    const key = await deviceTokenKey(SECRET);
    const token = await signDeviceToken('Owner@Example.test', key);
    expect(token).toMatch(/^dt1\.[A-Za-z0-9_-]{22}\.\d+\.[A-Za-z0-9_-]{43}$/);
    const id = await verifyDeviceToken(token, ' owner@example.TEST ', key);
    expect(id).toBe(token.split('.')[1]);
    expect(
      await verifyDeviceToken(await signDeviceToken('owner@example.test', key), 'owner@example.test', key),
    ).not.toBe(id);
  });

  it('are worth nothing for another email, after expiry, or under another secret', async () => {
    const key = await deviceTokenKey(SECRET);
    const now = Date.now();
    const token = await signDeviceToken('owner@example.test', key, now);
    expect(await verifyDeviceToken(token, 'other@example.test', key, now)).toBeUndefined();
    expect(await verifyDeviceToken(token, 'owner@example.test', key, now + DEVICE_TOKEN_TTL_S * 1000)).toBeUndefined();
    const other = await deviceTokenKey(`${SECRET}-rotated`);
    expect(await verifyDeviceToken(token, 'owner@example.test', other, now)).toBeUndefined();
  });

  it('are worth nothing once any character is changed, and garbage never throws', async () => {
    const key = await deviceTokenKey(SECRET);
    const token = await signDeviceToken('owner@example.test', key);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: token.length - 1 }),
        fc.constantFrom(...alphabet),
        async (at, char) => {
          fc.pre(token[at] !== char);
          const tampered = token.slice(0, at) + char + token.slice(at + 1);
          expect(await verifyDeviceToken(tampered, 'owner@example.test', key)).toBeUndefined();
        },
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), async (garbage) => {
        expect(await verifyDeviceToken(garbage, 'owner@example.test', key)).toBeUndefined();
      }),
    );
  });
});
