/**
 * Experiments at the edge: the profile's assignments computed here, in microseconds, from a
 * config document the origin publishes (`GET /internal/v1/experiments/config`). The config is kept
 * in isolate memory and in the colo's cache (Cache API) and refreshed after a minute; when the
 * origin cannot be reached, the last copy is used (stale) rather than failing the request.
 * Exposures are reported to the origin after the response, once per profile, experiment and version.
 */
import { allocate, tenureOf } from '../../../core/experiments/allocate.ts';
import {
  DEVICE_TYPES,
  ExperimentsConfig,
  type Assignment,
  type AssignmentContext,
  type DeviceType,
  type ExposureBatch,
} from '../../../core/experiments/schema.ts';
import { errorText } from '../../../core/log.ts';
import { HttpError } from '../../../core/problem.ts';
import { callerIdentity, profileClaims, profileIdentity } from './http/auth.ts';
import { coloCache } from './colo-cache.ts';
import type { AppContext } from './http/context.ts';
import { callOrigin } from './origin.ts';

/** A config younger than this is used without asking the origin. */
export const CONFIG_FRESH_MS = 60_000;
/** After a failed refresh the stale copy is used this long before the origin is asked again. */
export const CONFIG_RETRY_MS = 10_000;
/** A refresh may hold a request this long; past it the stale copy answers. */
const CONFIG_TIMEOUT_MS = 1_000;
/** How long the colo's cache keeps a copy to fall back on. */
const CONFIG_KEEP_S = 7 * 24 * 3600;
const configCache = coloCache('https://experiments.edgeflix.internal', ExperimentsConfig);
/** Where the colo keeps its copy (tests drop it). */
export const CONFIG_CACHE_KEY = configCache.url('/config');
export const CONFIG_PATH = '/internal/v1/experiments/config';
export const EXPOSURES_PATH = '/internal/v1/experiments/exposures';

/** Client header naming the device class, for device targeting. */
export const DEVICE_HEADER = 'x-device-type';
/** Country when the runtime gives none (local `wrangler dev` and tests). */
export const DEFAULT_COUNTRY = 'US';

interface Copy {
  config: ExperimentsConfig;
  fetchedAt: number;
  /** Do not ask the origin again before this time (set after a failed refresh). */
  retryAt: number;
}

let memory: Copy | undefined;

async function fromCache(): Promise<Copy | undefined> {
  const hit = await configCache.get('/config');
  return hit ? { config: hit.value, fetchedAt: hit.storedAt, retryAt: 0 } : undefined;
}

async function fromOrigin(c: AppContext): Promise<ExperimentsConfig | undefined> {
  try {
    const res = await callOrigin(c, {
      method: 'GET',
      path: CONFIG_PATH,
      caller: callerIdentity(c),
      timeoutMs: CONFIG_TIMEOUT_MS,
    });
    if (res.status !== 200) {
      await res.body?.cancel();
      return undefined;
    }
    const parsed = ExperimentsConfig.safeParse(await res.json());
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The config to allocate with, and whether it is an old copy kept because the origin is down. */
export async function experimentsConfig(c: AppContext): Promise<{ config: ExperimentsConfig; stale: boolean }> {
  const now = Date.now();
  if (memory && now - memory.fetchedAt < CONFIG_FRESH_MS) return { config: memory.config, stale: false };
  // Another isolate of this colo may have refreshed it already.
  const cached = await fromCache();
  if (cached && (!memory || cached.fetchedAt > memory.fetchedAt)) memory = cached;
  if (memory && now - memory.fetchedAt < CONFIG_FRESH_MS) return { config: memory.config, stale: false };
  if (memory && now < memory.retryAt) return { config: memory.config, stale: true };

  const fresh = await fromOrigin(c);
  if (fresh) {
    memory = { config: fresh, fetchedAt: now, retryAt: 0 };
    c.executionCtx.waitUntil(configCache.put('/config', fresh, { keepSeconds: CONFIG_KEEP_S }));
    return { config: fresh, stale: false };
  }
  if (memory) {
    memory.retryAt = now + CONFIG_RETRY_MS;
    c.get('log').warn('experiments_config_stale', {
      requestId: c.get('requestId'),
      version: memory.config.version,
      ageMs: now - memory.fetchedAt,
    });
    return { config: memory.config, stale: true };
  }
  throw new HttpError('origin_unavailable', 'Experiments are unavailable; try again shortly', {
    headers: { 'retry-after': '2' },
  });
}

/** Drops the isolate's copy (tests: the next call reads the colo cache, then the origin). */
export function forgetConfig(): void {
  memory = undefined;
}

/** What targeting looks at for this request: country from the edge, device from the client, plan and tenure from the token. */
export function assignmentContext(c: AppContext, now = Date.now()): AssignmentContext {
  const user = profileClaims(c);
  const header = c.req.header(DEVICE_HEADER);
  let device: DeviceType | null = null;
  if (header !== undefined) {
    const value = header.trim().toLowerCase();
    if (!(DEVICE_TYPES as readonly string[]).includes(value)) {
      throw new HttpError('validation_failed', `${DEVICE_HEADER} must be one of ${DEVICE_TYPES.join(', ')}`, {
        errors: [{ path: DEVICE_HEADER, message: `must be one of ${DEVICE_TYPES.join(', ')}` }],
      });
    }
    device = value as DeviceType;
  }
  const cf = c.req.raw.cf as { country?: unknown } | undefined;
  const country = typeof cf?.country === 'string' ? cf.country : DEFAULT_COUNTRY;
  return { country, device, plan: user.plan, tenure: tenureOf(user.since, now) };
}

/** Exposures already reported from this isolate; the origin's table is the real dedupe. */
const reported = new Set<string>();
const MAX_REPORTED = 50_000;

/** Reports, after the response, the assignments this isolate has not reported yet for the profile. */
export function reportExposures(c: AppContext, assignments: readonly Assignment[], now = Date.now()): void {
  const { profileId } = profileIdentity(c);
  const fresh = assignments.filter((a) => !reported.has(`${profileId}:${a.experimentId}:${a.version}`));
  if (fresh.length === 0) return;
  if (reported.size + fresh.length > MAX_REPORTED) reported.clear();
  const keys = fresh.map((a) => `${profileId}:${a.experimentId}:${a.version}`);
  for (const key of keys) reported.add(key);
  const body: ExposureBatch = {
    exposures: fresh.map((a) => ({
      experimentId: a.experimentId,
      version: a.version,
      variantId: a.variantId,
      exposedAt: now,
    })),
  };
  c.executionCtx.waitUntil(
    callOrigin(c, { method: 'POST', path: EXPOSURES_PATH, body, caller: callerIdentity(c) })
      .then(async (res) => {
        await res.body?.cancel();
        if (res.status !== 202) throw new Error(`origin answered ${res.status}`);
      })
      .catch((err: unknown) => {
        // Forget them so the next request reports them again.
        for (const key of keys) reported.delete(key);
        c.get('log').warn('exposures_not_reported', { requestId: c.get('requestId'), error: errorText(err) });
      }),
  );
}

/**
 * The calling profile's experiment assignments (behind `requireUser('profile')`), computed at the
 * edge, with their exposures reported. `only` limits both to the experiments the caller acts on.
 * Throws 502 `origin_unavailable` only when the origin is down and no config was ever cached here.
 */
export async function assignmentsFor(c: AppContext, options: { only?: readonly string[] } = {}): Promise<Assignment[]> {
  return (await assignmentsWithConfig(c, options)).assignments;
}

/** `assignmentsFor`, with the context and config version it used. */
export async function assignmentsWithConfig(
  c: AppContext,
  options: { only?: readonly string[] } = {},
): Promise<{ assignments: Assignment[]; context: AssignmentContext; configVersion: string; stale: boolean }> {
  const now = Date.now();
  const context = assignmentContext(c, now);
  const { config, stale } = await experimentsConfig(c);
  let assignments = allocate(profileIdentity(c).profileId, config, context, now);
  if (options.only) assignments = assignments.filter((a) => options.only!.includes(a.experimentId));
  reportExposures(c, assignments, now);
  return { assignments, context, configVersion: config.version, stale };
}
