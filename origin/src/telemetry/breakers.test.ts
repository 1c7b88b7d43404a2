import { describe, expect, it } from 'vitest';
import { HttpError } from '../../../core/problem.ts';
import { silentLogger } from '../log.ts';
import { createBreakers, isCallerError } from './breakers.ts';
import { createMetrics } from './metrics.ts';

const FAST = { timeoutMs: 50, volumeThreshold: 2, errorThresholdPercentage: 50, windowMs: 10_000, resetMs: 100 };

describe('breakers', () => {
  it('do not count refused requests or bad input as dependency failures', () => {
    expect(isCallerError(new HttpError('not_found', 'x'))).toBe(true);
    expect(isCallerError(new RangeError('invalid cursor'))).toBe(true);
    expect(isCallerError(new HttpError('unavailable', 'x'))).toBe(false);
    expect(isCallerError(new Error('connect ECONNREFUSED'))).toBe(false);
  });

  it('answer 400 to a value PostgreSQL refuses (SQLSTATE 22xxx), and stay closed however often', async () => {
    const breakers = createBreakers(createMetrics(), silentLogger, { postgres: FAST });
    const refused = () => {
      const err = Object.assign(new Error('unsupported Unicode escape sequence'), {
        name: 'PostgresError',
        code: '22P05',
      });
      return Promise.reject(err);
    };
    for (let i = 0; i < 10; i++) {
      await expect(breakers.run('postgres', refused)).rejects.toMatchObject({ code: 'validation_failed', status: 400 });
    }
    expect(breakers.state('postgres')).toBe('closed');
    breakers.shutdown();
  });

  it('answer 503 with Retry-After over budget, open after the minimum volume, and close after a good probe', async () => {
    const metrics = createMetrics();
    const breakers = createBreakers(metrics, silentLogger, { kafka: FAST });
    const gauge = async () =>
      (await metrics.circuitBreakerState.get()).values.find((v) => v.labels.service === 'kafka')?.value;
    const slow = () => new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < 2; i++) {
      await expect(breakers.run('kafka', slow)).rejects.toMatchObject({
        code: 'unavailable',
        headers: { 'retry-after': '1' },
      });
    }
    expect(breakers.state('kafka')).toBe('open');
    expect(await gauge()).toBe(2);
    const started = Date.now();
    await expect(breakers.run('kafka', async () => 1)).rejects.toMatchObject({ code: 'unavailable' });
    expect(Date.now() - started).toBeLessThan(20);
    await new Promise((r) => setTimeout(r, 150));
    expect(await gauge()).toBe(1);
    expect(await breakers.run('kafka', async () => 'ok')).toBe('ok');
    expect(breakers.state('kafka')).toBe('closed');
    expect(await gauge()).toBe(0);
    breakers.shutdown();
  });
});
