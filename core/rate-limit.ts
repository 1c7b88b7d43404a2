/**
 * Rate-limit rules, apart from where they run: the tiers and their configuration, the sliding-log
 * window, how a request maps to a tier, and how a client is keyed. The edge applies them through
 * the `RateLimiter` Durable Object (workers/rate-limiter), which holds the logs.
 *
 * Guarantee: for every key, the requests admitted within ANY interval of one window's length never
 * exceed the limit. The log keeps the time of every admitted request still inside the window, so
 * the check is exact (no approximation between fixed buckets); refused requests are not logged, so
 * a client hammering a limit still gets exactly `limit` admissions per window.
 */
import { z } from 'zod';

export { shardOf } from './shard.ts';

export const TIERS = ['browse', 'playbackStart', 'progressUpdate', 'search', 'auth'] as const;
export type Tier = (typeof TIERS)[number];

/** One limit: at most `limit` requests per `windowMs`; a shadow rule counts and logs but never refuses. */
export interface TierRule {
  limit: number;
  windowMs: number;
  shadow: boolean;
}

export interface RateLimitConfig {
  enabled: boolean;
  /** Durable Objects the keys are spread over (by hash), so no single object is hot. */
  shards: number;
  tiers: Record<Tier, TierRule>;
}

/** The seed's tiers. `search` is GET /v1/search: a client searches as the user types. */
export const DEFAULT_RATE_LIMITS: RateLimitConfig = {
  enabled: true,
  shards: 64,
  tiers: {
    browse: { limit: 100, windowMs: 60_000, shadow: false },
    playbackStart: { limit: 30, windowMs: 60_000, shadow: false },
    progressUpdate: { limit: 60, windowMs: 60_000, shadow: false },
    search: { limit: 50, windowMs: 60_000, shadow: false },
    auth: { limit: 5, windowMs: 300_000, shadow: false },
  },
};

const TierOverride = z.strictObject({
  limit: z.number().int().min(1).max(10_000_000).optional(),
  windowSeconds: z.number().int().min(1).max(86_400).optional(),
  shadow: z.boolean().optional(),
});

/** The `RATE_LIMITS` variable: JSON overrides over `DEFAULT_RATE_LIMITS`, every field optional. */
export const RateLimitOverrides = z.strictObject({
  enabled: z.boolean().optional(),
  shards: z.number().int().min(1).max(1024).optional(),
  tiers: z.partialRecord(z.enum(TIERS), TierOverride).optional(),
});
export type RateLimitOverrides = z.infer<typeof RateLimitOverrides>;

/** Parses `RATE_LIMITS` (empty means the defaults); a bad value throws an error naming the variable. */
export function parseRateLimitConfig(raw: string | undefined): RateLimitConfig {
  if (raw === undefined || raw.trim() === '') return DEFAULT_RATE_LIMITS;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error('RATE_LIMITS is not valid JSON');
  }
  const parsed = RateLimitOverrides.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`RATE_LIMITS is invalid: ${issues}`);
  }
  const o = parsed.data;
  const tiers = { ...DEFAULT_RATE_LIMITS.tiers };
  for (const tier of TIERS) {
    const t = o.tiers?.[tier];
    if (!t) continue;
    tiers[tier] = {
      limit: t.limit ?? tiers[tier].limit,
      windowMs: t.windowSeconds !== undefined ? t.windowSeconds * 1000 : tiers[tier].windowMs,
      shadow: t.shadow ?? tiers[tier].shadow,
    };
  }
  return {
    enabled: o.enabled ?? DEFAULT_RATE_LIMITS.enabled,
    shards: o.shards ?? DEFAULT_RATE_LIMITS.shards,
    tiers,
  };
}

/** The outcome of one check. Times are epoch milliseconds; `retryAfter` is whole seconds (0 when allowed). */
export interface Decision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** When the oldest counted request leaves the window, freeing one slot. */
  resetAt: number;
  retryAfter: number;
  /** The time the request was decided at, and logged at when allowed (what `releaseHit` takes back). */
  at: number;
}

/** One limit to check: the key and the rule it is counted under. */
export interface LimitCheck {
  key: string;
  limit: number;
  windowMs: number;
}

/**
 * Takes back what a check counted: one admitted request (`at`, from its decision), or the whole
 * log of a key (`all`). The login limiter counts every attempt when it starts and gives back
 * those that turn out not to be failed guesses (core/login-limit.ts).
 */
export type LimitRelease = { key: string; at: number } | { key: string; all: true };

/** Admitted request times of one key, ascending. */
export type HitLog = number[];

/**
 * The sliding-log check: drops the times that left the window `(now - windowMs, now]`, then admits
 * (and logs `now`) only if fewer than `limit` remain. Mutates `log`.
 */
export function slidingLogCheck(log: HitLog, rule: { limit: number; windowMs: number }, now: number): Decision {
  // A clock that steps back must not open room: time never runs backwards within one log.
  const last = log[log.length - 1];
  const at = last !== undefined && now < last ? last : now;
  const horizon = at - rule.windowMs;
  let expired = 0;
  while (expired < log.length && log[expired]! <= horizon) expired += 1;
  if (expired > 0) log.splice(0, expired);
  const allowed = log.length < rule.limit;
  if (allowed) log.push(at);
  const oldest = log[0] ?? at;
  const resetAt = oldest + rule.windowMs;
  return {
    allowed,
    limit: rule.limit,
    remaining: Math.max(0, rule.limit - log.length),
    resetAt,
    retryAfter: allowed ? 0 : Math.max(1, Math.ceil((resetAt - at) / 1000)),
    at,
  };
}

/** Removes one logged request at `at` (the earliest, if several share it); false when none was. */
export function releaseHit(log: HitLog, at: number): boolean {
  const i = log.indexOf(at);
  if (i < 0) return false;
  log.splice(i, 1);
  return true;
}

/** Whether a log has nothing left inside the window (and can be forgotten). */
export function isExpired(log: HitLog, windowMs: number, now: number): boolean {
  const last = log[log.length - 1];
  return last === undefined || last <= now - windowMs;
}

/**
 * The tier a request falls under, or undefined when it is not limited: segments and HLS media
 * playlists (players fetch them in bursts, behind their own signed tokens), artwork (a page of
 * posters is a burst too; the set of images is bounded and each is drawn once) and non-API paths.
 */
export function tierFor(method: string, path: string): Tier | undefined {
  if (!path.startsWith('/v1/')) return undefined;
  if (path.startsWith('/v1/media/') || path.startsWith('/v1/artwork/')) return undefined;
  if (/^\/v1\/playback\/[^/]+\/hls\//.test(path)) return undefined;
  if (path === '/v1/auth/login' && method === 'POST') return 'auth';
  if (method === 'GET' && /^\/v1\/playback\/[^/]+\/(?:manifest\.mpd|master\.m3u8)$/.test(path)) return 'playbackStart';
  // A licence is part of starting playback (a protected title needs one before its first frame).
  if (method === 'POST' && path === '/v1/license/clearkey') return 'playbackStart';
  if (method === 'POST' && /^\/v1\/progress(?:\/|$)/.test(path)) return 'progressUpdate';
  if (method === 'GET' && path === '/v1/search') return 'search';
  return 'browse';
}

/**
 * The client part of an anonymous key: the address the edge saw (`CF-Connecting-IP`, set by
 * Cloudflare and not by the client), IPv6 grouped by /64 since one subscriber holds a whole /64.
 */
export function clientAddressKey(connectingIp: string | null | undefined): string {
  const ip = connectingIp?.trim().toLowerCase() ?? '';
  if (ip === '') return 'ip:unknown';
  if (!ip.includes(':')) return `ip:${ip}`;
  const groups = expandIpv6(ip);
  if (!groups) return `ip:${ip}`;
  return `ip6:${groups.slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address (normalized, no leading zeros), or undefined. */
function expandIpv6(ip: string): string[] | undefined {
  let text = ip.replace(/%.*$/, '');
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return groups.map((g) => parseInt(g, 16).toString(16));
}

/** The rate-limit response headers: the seed's `X-RateLimit-*` and the IETF draft's fields. */
export function rateLimitHeaders(decision: Decision, windowMs: number, now: number): Record<string, string> {
  const headers: Record<string, string> = {
    'X-RateLimit-Limit': String(decision.limit),
    'X-RateLimit-Remaining': String(decision.remaining),
    'X-RateLimit-Reset': new Date(decision.resetAt).toISOString(),
    'RateLimit-Policy': `${decision.limit};w=${Math.round(windowMs / 1000)}`,
    RateLimit: `limit=${decision.limit}, remaining=${decision.remaining}, reset=${Math.max(0, Math.ceil((decision.resetAt - now) / 1000))}`,
  };
  if (!decision.allowed) headers['Retry-After'] = String(decision.retryAfter);
  return headers;
}
