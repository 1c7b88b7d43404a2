import { createMiddleware } from 'hono/factory';
import { errorText } from '../../../../core/log.ts';
import { HttpError } from '../../../../core/problem.ts';
import {
  clientAddressKey,
  parseRateLimitConfig,
  rateLimitHeaders,
  shardOf,
  tierFor,
  type Decision,
  type RateLimitConfig,
  type Tier,
} from '../../../../core/rate-limit.ts';
import type { LimitCheck, LimitRelease } from '../../../rate-limiter/src/rpc.ts';
import { identityOf, type UserClaims } from '../../../../core/tokens.ts';
import type { AppContext, EdgeEnv } from './context.ts';
import { isolateMetrics } from '../../../shared/isolate-metrics.ts';

let cached: { source: string | undefined; config: RateLimitConfig } | undefined;

/** `RATE_LIMITS` parsed once per isolate (again only if the value changes). */
export function configFor(env: Env): RateLimitConfig {
  const source = env.RATE_LIMITS;
  if (!cached || cached.source !== source) cached = { source, config: parseRateLimitConfig(source) };
  return cached.config;
}

/**
 * What each tier does when the limiter cannot answer (its Durable Object unavailable, overloaded or
 * failing). Sign-in fails closed: a window without limits is what credential stuffing waits for,
 * and a refused sign-in costs the person a retry. The other tiers fail open: they carry a verified
 * token (or serve players), and a limiter outage must not take the API down with it. A shadow tier
 * never refuses, so it fails open whatever this says.
 */
export const WHEN_LIMITER_FAILS: Readonly<Record<Tier, 'open' | 'closed'>> = {
  browse: 'open',
  playbackStart: 'open',
  progressUpdate: 'open',
  search: 'open',
  auth: 'closed',
};

/** Retry-After of a request refused because the limiter could not answer (a Durable Object restarts in seconds). */
export const LIMITER_DOWN_RETRY_AFTER_SECONDS = 5;

/**
 * Applies the request's tier: keyed by account once a token is verified (so it runs after
 * `requireUser`), else by the client address. (A login is also limited per target email, counting
 * failures only, by the login route: http/login-limit.ts.) A refusal throws a 429
 * `rate_limited` problem with `Retry-After`; a shadow tier logs the would-be refusal and lets it
 * pass. If the limiter cannot answer, an error is logged and the tier's `WHEN_LIMITER_FAILS`
 * decides: the request passes (open) or gets a 503 `unavailable` with `Retry-After` (closed).
 */
export function rateLimit() {
  return createMiddleware<EdgeEnv>(async (c, next) => {
    const config = configFor(c.env);
    const path = new URL(c.req.url).pathname;
    const tier = config.enabled ? tierFor(c.req.method, path) : undefined;
    if (!tier) return next();
    const rule = config.tiers[tier];
    const keys = [`${tier}:${clientKey(c)}`];
    const checks = keys.map((key) => ({ key, limit: rule.limit, windowMs: rule.windowMs }));
    let decisions: Decision[];
    try {
      decisions = await checkLimits(c.env, config.shards, checks);
    } catch (err) {
      logLimiterFailure(c, tier, err);
      if (WHEN_LIMITER_FAILS[tier] === 'open' || rule.shadow) return next();
      throw new HttpError('unavailable', `The ${tier} limit cannot be checked right now; retry later`, {
        cause: err,
        headers: { 'retry-after': String(LIMITER_DOWN_RETRY_AFTER_SECONDS) },
      });
    }
    const now = Date.now();
    const refused = decisions.findIndex((d) => !d.allowed);
    const shown = refused >= 0 ? decisions[refused]! : fewestRemaining(decisions);
    const headers = rateLimitHeaders(shown, rule.windowMs, now);
    if (refused >= 0) {
      isolateMetrics.count('edge_rate_limited_total', { tier, mode: rule.shadow ? 'shadow' : 'enforced' });
      if (!rule.shadow) {
        throw new HttpError('rate_limited', `Too many ${tier} requests; retry in ${shown.retryAfter} s`, { headers });
      }
      logShadowRefusal(c, tier, keys[refused]!, shown);
      delete headers['Retry-After'];
    }
    await next();
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  });
}

/** The account for a verified token; otherwise the address Cloudflare saw (never X-Forwarded-For). */
function clientKey(c: AppContext): string {
  const user = c.get('user') as UserClaims | undefined;
  const who = user && identityOf(user);
  if (who) return `account:${who.accountId}`;
  return clientAddressKey(c.req.header('cf-connecting-ip'));
}

/** One RPC per shard the keys fall on, all in parallel; decisions come back in the order of `checks`. */
export async function checkLimits(env: Env, shards: number, checks: LimitCheck[]): Promise<Decision[]> {
  const byShard = new Map<number, number[]>();
  checks.forEach((check, i) => {
    const shard = shardOf(check.key, shards);
    byShard.set(shard, [...(byShard.get(shard) ?? []), i]);
  });
  const decisions = new Array<Decision>(checks.length);
  await Promise.all(
    [...byShard].map(async ([shard, indexes]) => {
      const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`shard-${shard}`));
      const answers = await stub.check(indexes.map((i) => checks[i]!));
      answers.forEach((d, j) => (decisions[indexes[j]!] = d));
    }),
  );
  return decisions;
}

/** Gives back counted requests, one RPC per shard the keys fall on, in parallel. */
export async function releaseLimits(env: Env, shards: number, releases: LimitRelease[]): Promise<void> {
  const byShard = new Map<number, LimitRelease[]>();
  for (const release of releases) {
    const shard = shardOf(release.key, shards);
    byShard.set(shard, [...(byShard.get(shard) ?? []), release]);
  }
  await Promise.all(
    [...byShard].map(([shard, mine]) =>
      env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`shard-${shard}`)).release(mine),
    ),
  );
}

function fewestRemaining(decisions: Decision[]): Decision {
  return decisions.reduce((a, b) => (b.remaining < a.remaining ? b : a));
}

/** One structured line per request a shadow tier would have refused. The key names no email. */
export function logShadowRefusal(c: AppContext, tier: Tier, key: string, decision: Decision): void {
  c.get('log').warn('rate_limit_shadow_refusal', {
    requestId: c.get('requestId'),
    tier,
    key,
    limit: decision.limit,
    retryAfter: decision.retryAfter,
  });
}

export function logLimiterFailure(c: AppContext, tier: Tier, err: unknown): void {
  c.get('log').error('rate_limit_unavailable', { requestId: c.get('requestId'), tier, error: errorText(err) });
}
