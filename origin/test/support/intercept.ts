import { afterEach } from 'vitest';
import type { ProgressRecord, ProgressStore } from '../../src/stores/types.ts';

/**
 * Replaces a store method for one test (the app's store guard reads the method on every call) and
 * puts it back after the test (or earlier, with `restore`). Call once at the top of a test file.
 */
export function interceptor() {
  const undos: (() => void)[] = [];
  const restore = () => {
    for (const undo of undos.splice(0)) undo();
  };
  afterEach(restore);
  function intercept<S extends object, K extends keyof S>(
    store: S,
    method: K,
    replacement: (original: S[K]) => S[K],
  ): void {
    const original = store[method];
    store[method] = replacement(original);
    undos.push(() => (store[method] = original));
  }
  return { intercept, restore };
}

type Intercept = ReturnType<typeof interceptor>['intercept'];

/**
 * Makes the progress store refuse one profile's rows, as a write the store itself refused, and
 * write everyone else's in the same call.
 */
export function refuseProfileWrites(intercept: Intercept, progress: ProgressStore, profileId: string): void {
  const refused = (group: readonly ProgressRecord[]) => group.some((r) => r.profileId === profileId);
  intercept(progress, 'upsertEach', (upsertEach) => async (groups) => {
    const written = await upsertEach.call(
      progress,
      groups.map((g) => (refused(g) ? [] : g)),
    );
    return written.map((outcome, i) =>
      refused(groups[i]!) ? { status: 'rejected', reason: new Error('write timeout (injected)') } : outcome,
    );
  });
}
