import { afterEach } from 'vitest';

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
