import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { refreshDecision, slidIdleExpiry, type SessionState } from './sessions.ts';

const SETTINGS = { idleS: 30 * 86_400, reuseGraceS: 10 };
const T0 = Date.parse('2026-01-01T00:00:00Z');
const YEAR = 365 * 86_400_000;

/** A live session, last rotated at T0 (from `previous` to `current`). */
function session(overrides: Partial<SessionState> = {}): SessionState {
  return {
    refreshHash: 'current',
    previousRefreshHash: 'previous',
    rotatedAt: new Date(T0),
    idleExpiresAt: new Date(T0 + SETTINGS.idleS * 1000),
    absoluteExpiresAt: new Date(T0 + YEAR),
    revokedAt: null,
    ...overrides,
  };
}

const instant = fc.integer({ min: T0, max: T0 + 2 * YEAR }).map((t) => new Date(t));

describe('session lifetimes', () => {
  it('slides the idle end by the idle lifetime from each use, never past the absolute end', () => {
    fc.assert(
      fc.property(instant, instant, (now, absolute) => {
        const idle = slidIdleExpiry(now, absolute, SETTINGS).getTime();
        expect(idle).toBe(Math.min(now.getTime() + SETTINGS.idleS * 1000, absolute.getTime()));
        expect(idle).toBeLessThanOrEqual(absolute.getTime());
      }),
    );
  });

  it('ends a session at its idle end or its absolute end, whichever token is presented', () => {
    fc.assert(
      fc.property(
        instant,
        instant,
        instant,
        fc.constantFrom('current', 'previous', 'older'),
        (now, idle, absolute, presented) => {
          const decision = refreshDecision(
            session({ idleExpiresAt: idle, absoluteExpiresAt: absolute }),
            presented,
            now,
            SETTINGS,
          );
          if (now >= absolute) expect(decision).toEqual({ kind: 'ended', reason: 'absolute' });
          else if (now >= idle) expect(decision).toEqual({ kind: 'ended', reason: 'idle' });
          else expect(decision.kind).not.toBe('ended');
        },
      ),
    );
  });

  it('answers a revoked session as revoked before anything else', () => {
    fc.assert(
      fc.property(instant, fc.constantFrom('current', 'previous', 'older'), (now, presented) => {
        expect(refreshDecision(session({ revokedAt: new Date(T0) }), presented, now, SETTINGS)).toEqual({
          kind: 'ended',
          reason: 'revoked',
        });
      }),
    );
  });

  it('rotates the current token, replays the previous one within the grace, and calls anything else a reuse', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60_000 }), (sinceRotationMs) => {
        const now = new Date(T0 + sinceRotationMs);
        const live = session();
        expect(refreshDecision(live, 'current', now, SETTINGS)).toEqual({ kind: 'rotate' });
        const withinGrace = sinceRotationMs <= SETTINGS.reuseGraceS * 1000;
        expect(refreshDecision(live, 'previous', now, SETTINGS)).toEqual({ kind: withinGrace ? 'replay' : 'reuse' });
        expect(refreshDecision(live, 'older', now, SETTINGS)).toEqual({ kind: 'reuse' });
      }),
    );
  });
});
