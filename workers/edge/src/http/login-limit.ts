/**
 * The login limiter at the edge: core/login-limit.ts's rules (failures per email, a device token's
 * own budget) over the `RateLimiter` Durable Object. The per-address limit of the `auth` tier runs
 * before this, in the rate-limit middleware. Like that tier, it fails closed when the limiter
 * cannot answer (503 `unavailable`), and a shadow `auth` tier logs instead of refusing.
 */
import {
  admitLogin,
  deviceTokenKey,
  loginEmail,
  loginOutcome,
  loginReleases,
  sha256Hex,
  signDeviceToken,
  verifyDeviceToken,
  type LimitStore,
  type LoginAdmission,
  type LoginOutcome,
} from '../../../../core/login-limit.ts';
import { errorText } from '../../../../core/log.ts';
import { HttpError } from '../../../../core/problem.ts';
import { rateLimitHeaders } from '../../../../core/rate-limit.ts';
import { isolateMetrics } from '../../../shared/isolate-metrics.ts';
import type { AppContext } from './context.ts';
import {
  checkLimits,
  configFor,
  LIMITER_DOWN_RETRY_AFTER_SECONDS,
  logLimiterFailure,
  logShadowRefusal,
  releaseLimits,
} from './rate-limit.ts';

let cachedKey: { secret: string; key: ReturnType<typeof deviceTokenKey> } | undefined;

/** The device-token key, derived once per isolate from the service secret. */
function keyFor(env: Env): ReturnType<typeof deviceTokenKey> {
  if (cachedKey?.secret !== env.SERVICE_TOKEN_SECRET) {
    cachedKey = { secret: env.SERVICE_TOKEN_SECRET, key: deviceTokenKey(env.SERVICE_TOKEN_SECRET) };
  }
  return cachedKey.key;
}

function storeFor(env: Env, shards: number): LimitStore {
  return {
    check: (checks) => checkLimits(env, shards, checks),
    release: (releases) => releaseLimits(env, shards, releases),
  };
}

/**
 * Runs `attempt` (the origin's password check) under the login limiter, and hands a device that
 * signed in a new device token (`deviceToken` in the answer). A refusal throws a 429
 * `rate_limited` with `Retry-After`.
 */
export async function limitedLogin(
  c: AppContext,
  login: { email: string; deviceToken?: string | undefined },
  attempt: () => Promise<Response>,
): Promise<Response> {
  const config = configFor(c.env);
  const rule = config.tiers.auth;
  const email = loginEmail(login.email);
  const key = await keyFor(c.env);
  const store = storeFor(c.env, config.shards);
  let admitted: Extract<LoginAdmission, { allowed: true }> | undefined;
  if (config.enabled) {
    const deviceId = login.deviceToken ? await verifyDeviceToken(login.deviceToken, email, key) : undefined;
    let admission: LoginAdmission | undefined;
    try {
      admission = await admitLogin(store, rule, { emailHash: await sha256Hex(email), deviceId });
    } catch (err) {
      logLimiterFailure(c, 'auth', err);
      if (!rule.shadow) {
        throw new HttpError('unavailable', 'The sign-in limit cannot be checked right now; retry later', {
          cause: err,
          headers: { 'retry-after': String(LIMITER_DOWN_RETRY_AFTER_SECONDS) },
        });
      }
    }
    if (admission && !admission.allowed) {
      isolateMetrics.count('edge_rate_limited_total', { tier: 'auth', mode: rule.shadow ? 'shadow' : 'enforced' });
      if (!rule.shadow) {
        throw new HttpError(
          'rate_limited',
          `Too many failed sign-ins for this email; retry in ${admission.decision.retryAfter} s, or from a device that signed in before`,
          { headers: rateLimitHeaders(admission.decision, rule.windowMs, Date.now()) },
        );
      }
      logShadowRefusal(c, 'auth', 'auth:email', admission.decision);
    }
    if (admission?.allowed) admitted = admission;
  }
  let response: Response;
  try {
    response = await attempt();
  } catch (err) {
    if (admitted) await settle(c, store, admitted, 'undecided');
    throw err;
  }
  const outcome = loginOutcome(response.status);
  if (admitted) await settle(c, store, admitted, outcome);
  if (outcome !== 'succeeded') return response;
  const body = (await response.json()) as Record<string, unknown>;
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  return new Response(JSON.stringify({ ...body, deviceToken: await signDeviceToken(email, key) }), {
    status: response.status,
    headers,
  });
}

/**
 * Gives back what the outcome does not keep counted. If the limiter cannot take it back, the
 * attempt stays counted as if it failed (logged): the error is on the side of fewer guesses.
 */
async function settle(
  c: AppContext,
  store: LimitStore,
  admission: Extract<LoginAdmission, { allowed: true }>,
  outcome: LoginOutcome,
): Promise<void> {
  const releases = loginReleases(admission, outcome);
  if (releases.length === 0) return;
  try {
    await store.release(releases);
  } catch (err) {
    c.get('log').error('login_limit_release_failed', { requestId: c.get('requestId'), error: errorText(err) });
  }
}
