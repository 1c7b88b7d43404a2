/**
 * Wraps every store of a `Stores` object in one place: each call is timed and counted per store
 * and method, and goes through its dependency's breaker. Health checks (`ping`), subscriptions and
 * `close` pass through untouched, so readiness and consumers see the dependency as it is.
 */
import { HttpError } from '../../../core/problem.ts';
import { isCachedCatalog } from '../stores/cached-catalog.ts';
import type { Stores } from '../stores/types.ts';
import type { Breakers } from './breakers.ts';
import type { Metrics, Service } from './metrics.ts';

const PASS_THROUGH = new Set<PropertyKey>(['ping', 'close', 'subscribe']);
type StoreName = Exclude<keyof Stores, 'mode' | 'readiness' | 'close'>;

/** Which dependency backs each store in each mode. */
function serviceOf(store: StoreName, mode: Stores['mode']): Service {
  if (mode === 'real' && store === 'progress') return 'cassandra';
  if (mode === 'real' && store === 'events') return 'kafka';
  return 'postgres';
}

function guard<T extends object>(
  target: T,
  store: StoreName,
  service: Service,
  metrics: Metrics,
  breakers: Breakers,
): T {
  // One wrapper per method, made on first use (with its histogram child resolved once), rather
  // than a closure and a label lookup on every call.
  const wrapped = new Map<string, { of: unknown; call: (...args: unknown[]) => Promise<unknown> }>();
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value: unknown = Reflect.get(obj, prop, receiver);
      if (typeof value !== 'function' || PASS_THROUGH.has(prop) || typeof prop !== 'string') return value;
      const hit = wrapped.get(prop);
      if (hit?.of === value) return hit.call;
      const method = prop;
      const timer = metrics.storeCallDuration.labels({ service, store, method });
      const call = async (...args: unknown[]) => {
        const end = timer.startTimer();
        try {
          return await breakers.run(service, () => (value as (...a: unknown[]) => Promise<unknown>).apply(obj, args));
        } catch (err) {
          const reason = err instanceof HttpError ? err.code : err instanceof Error ? err.name : 'error';
          metrics.storeCallErrors.inc({ service, store, method, reason });
          throw err;
        } finally {
          end();
        }
      };
      wrapped.set(prop, { of: value, call });
      return call;
    },
  });
}

export function guardStores(stores: Stores, metrics: Metrics, breakers: Breakers): Stores {
  const wrap = <K extends StoreName>(name: K): Stores[K] =>
    guard(stores[name], name, serviceOf(name, stores.mode), metrics, breakers);
  return {
    ...stores,
    accounts: wrap('accounts'),
    sessions: wrap('sessions'),
    // A cache hit is answered from memory: only misses are store calls (counted, behind the breaker).
    catalog: isCachedCatalog(stores.catalog)
      ? stores.catalog.over(
          guard(stores.catalog.inner, 'catalog', serviceOf('catalog', stores.mode), metrics, breakers),
        )
      : wrap('catalog'),
    preferences: wrap('preferences'),
    home: wrap('home'),
    search: wrap('search'),
    contentKeys: wrap('contentKeys'),
    experiments: wrap('experiments'),
    progress: wrap('progress'),
    events: wrap('events'),
    readiness: () => stores.readiness(),
    close: () => stores.close(),
  };
}
