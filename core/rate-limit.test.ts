import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  clientAddressKey,
  DEFAULT_RATE_LIMITS,
  parseRateLimitConfig,
  rateLimitHeaders,
  shardOf,
  slidingLogCheck,
  tierFor,
  type HitLog,
} from './rate-limit.ts';

describe('sliding-log window', () => {
  it('never admits more than the limit in any interval of one window length, whatever the arrivals', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 2_000 }),
        fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 300 }),
        (limit, windowMs, times) => {
          const arrivals = [...times].sort((a, b) => a - b);
          const log: HitLog = [];
          const admitted = arrivals.filter((t) => slidingLogCheck(log, { limit, windowMs }, t).allowed);
          // Every window [s, s + windowMs) starting at an admitted time holds at most `limit` admissions.
          for (let i = 0; i < admitted.length; i++) {
            let inside = 0;
            for (let j = i; j < admitted.length && admitted[j]! < admitted[i]! + windowMs; j++) inside += 1;
            expect(inside).toBeLessThanOrEqual(limit);
          }
        },
      ),
    );
  });

  it('admits a request whenever fewer than the limit were admitted in the window before it (no over-refusal)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 2_000 }),
        fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 300 }),
        (limit, windowMs, times) => {
          const log: HitLog = [];
          const admitted: number[] = [];
          for (const t of [...times].sort((a, b) => a - b)) {
            const recent = admitted.filter((a) => a > t - windowMs).length;
            const { allowed } = slidingLogCheck(log, { limit, windowMs }, t);
            expect(allowed).toBe(recent < limit);
            if (allowed) admitted.push(t);
          }
        },
      ),
    );
  });

  it('refuses past the limit with Retry-After until the oldest request leaves the window', () => {
    const log: HitLog = [];
    const rule = { limit: 2, windowMs: 60_000 };
    expect(slidingLogCheck(log, rule, 1_000)).toEqual({
      allowed: true,
      limit: 2,
      remaining: 1,
      resetAt: 61_000,
      retryAfter: 0,
      at: 1_000,
    });
    expect(slidingLogCheck(log, rule, 2_000)).toMatchObject({ allowed: true, remaining: 0 });
    expect(slidingLogCheck(log, rule, 30_500)).toEqual({
      allowed: false,
      limit: 2,
      remaining: 0,
      resetAt: 61_000,
      retryAfter: 31,
      at: 30_500,
    });
    expect(slidingLogCheck(log, rule, 61_000)).toMatchObject({ allowed: true, remaining: 0, resetAt: 62_000 });
  });

  it('does not open room when the clock steps back', () => {
    const log: HitLog = [];
    const rule = { limit: 1, windowMs: 1_000 };
    expect(slidingLogCheck(log, rule, 5_000).allowed).toBe(true);
    expect(slidingLogCheck(log, rule, 3_000).allowed).toBe(false);
  });
});

describe('client keys', () => {
  it('groups IPv6 addresses by /64, however they are written', () => {
    const key = clientAddressKey('2001:db8:abcd:12::1');
    expect(clientAddressKey('2001:0db8:abcd:0012:ffff:ffff:ffff:ffff')).toBe(key);
    expect(clientAddressKey('2001:DB8:ABCD:12:1:2:3:4')).toBe(key);
    expect(clientAddressKey('2001:db8:abcd:13::1')).not.toBe(key);
  });

  it('keeps IPv4 addresses whole and names a missing address', () => {
    expect(clientAddressKey('203.0.113.7')).toBe('ip:203.0.113.7');
    expect(clientAddressKey('203.0.113.8')).not.toBe(clientAddressKey('203.0.113.7'));
    expect(clientAddressKey(null)).toBe('ip:unknown');
  });

  it('spreads keys over every shard', () => {
    const seen = new Set(Array.from({ length: 5_000 }, (_, i) => shardOf(`browse:account:${i}`, 64)));
    expect(seen.size).toBe(64);
  });
});

describe('route tiers', () => {
  it('maps sign-in, playback starts, heartbeats and browsing to their tiers', () => {
    expect(tierFor('POST', '/v1/auth/login')).toBe('auth');
    expect(tierFor('GET', '/v1/playback/t1/manifest.mpd')).toBe('playbackStart');
    expect(tierFor('GET', '/v1/search')).toBe('search');
    expect(tierFor('GET', '/v1/playback/t1/master.m3u8')).toBe('playbackStart');
    expect(tierFor('POST', '/v1/license/clearkey')).toBe('playbackStart');
    expect(tierFor('POST', '/v1/progress')).toBe('progressUpdate');
    expect(tierFor('POST', '/v1/progress/batch')).toBe('progressUpdate');
    expect(tierFor('GET', '/v1/progress/t1')).toBe('browse');
    expect(tierFor('GET', '/v1/titles')).toBe('browse');
    expect(tierFor('GET', '/v1/home')).toBe('browse');
  });

  it('does not limit segments, HLS media playlists or non-API paths', () => {
    expect(tierFor('GET', '/v1/media/t1/v1/seg-1.m4s')).toBeUndefined();
    expect(tierFor('GET', '/v1/playback/t1/hls/video-1.m3u8')).toBeUndefined();
    expect(tierFor('GET', '/healthz')).toBeUndefined();
  });
});

describe('RATE_LIMITS configuration', () => {
  it('uses the seed tiers when empty', () => {
    expect(parseRateLimitConfig('')).toEqual(DEFAULT_RATE_LIMITS);
    expect(DEFAULT_RATE_LIMITS.tiers.auth).toEqual({ limit: 5, windowMs: 300_000, shadow: false });
  });

  it('overrides single fields of single tiers', () => {
    const config = parseRateLimitConfig('{"tiers":{"auth":{"limit":3,"shadow":true}},"shards":8}');
    expect(config.tiers.auth).toEqual({ limit: 3, windowMs: 300_000, shadow: true });
    expect(config.tiers.browse).toEqual(DEFAULT_RATE_LIMITS.tiers.browse);
    expect(config.shards).toBe(8);
  });

  it('refuses bad values with a message naming the variable', () => {
    expect(() => parseRateLimitConfig('{')).toThrow(/RATE_LIMITS/);
    expect(() => parseRateLimitConfig('{"tiers":{"auth":{"limit":0}}}')).toThrow(
      /RATE_LIMITS is invalid: tiers.auth.limit/,
    );
    expect(() => parseRateLimitConfig('{"tiers":{"nope":{}}}')).toThrow(/RATE_LIMITS/);
    expect(() => parseRateLimitConfig('{"limit":5}')).toThrow(/RATE_LIMITS/);
  });
});

describe('headers', () => {
  it('carries the seed X-RateLimit-* headers and the IETF RateLimit fields, and Retry-After on refusal', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const headers = rateLimitHeaders(
      { allowed: false, limit: 5, remaining: 0, resetAt: now + 12_300, retryAfter: 13, at: now },
      300_000,
      now,
    );
    expect(headers).toEqual({
      'X-RateLimit-Limit': '5',
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': '2026-01-01T00:00:12.300Z',
      'RateLimit-Policy': '5;w=300',
      RateLimit: 'limit=5, remaining=0, reset=13',
      'Retry-After': '13',
    });
  });
});
