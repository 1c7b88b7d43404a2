import { describe, expect, it } from 'vitest';
import { silentLogger } from '../log.ts';
import type { Subscription } from '../stores/types.ts';
import { startInBackground } from './background.ts';

const subscription = () => {
  const sub = { stopped: 0, stop: async () => void sub.stopped++ };
  return sub satisfies Subscription;
};

describe('a consumer started in the background', () => {
  it('retries a start that fails until one succeeds', async () => {
    let calls = 0;
    const sub = subscription();
    const consumer = startInBackground(
      'test',
      async () => {
        if (++calls < 3) throw new Error('broker unreachable');
        return sub;
      },
      silentLogger,
      { retryMs: 1, maxRetryMs: 2 },
    );
    expect(await consumer.started).toBe(true);
    expect(calls).toBe(3);
    await consumer.stop();
    expect(sub.stopped).toBe(1);
  });

  it('stopped while waiting to retry, it never starts', async () => {
    let calls = 0;
    const consumer = startInBackground(
      'test',
      async () => {
        calls++;
        throw new Error('broker unreachable');
      },
      silentLogger,
      { retryMs: 60_000 },
    );
    await new Promise((r) => setTimeout(r, 10));
    await consumer.stop();
    expect(await consumer.started).toBe(false);
    expect(calls).toBe(1);
  });

  it('stopped while a start is under way, it stops what that start brings up', async () => {
    const sub = subscription();
    let finish!: (s: Subscription) => void;
    const consumer = startInBackground('test', () => new Promise<Subscription>((r) => (finish = r)), silentLogger);
    const stopping = consumer.stop();
    finish(sub);
    await stopping;
    expect(await consumer.started).toBe(false);
    expect(sub.stopped).toBe(1);
  });
});
