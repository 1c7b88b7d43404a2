import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Experiment } from '../../../core/experiments/schema.ts';
import type { Stores } from '../../src/stores/types.ts';
import { IMPLEMENTATIONS, storesFor } from './harness.ts';

function experiment(id: string, overrides: Partial<Experiment> = {}): Experiment {
  const now = new Date().toISOString();
  return {
    id,
    name: id,
    description: '',
    status: 'draft',
    layer: null,
    layerStart: 0,
    allocation: 12.34,
    variants: [
      { id: 'control', name: 'Control', weight: 50, config: {} },
      { id: 'treatment', name: 'Treatment', weight: 50, config: { nested: { on: true } } },
    ],
    targetGroups: [{ type: 'country', values: ['US'], include: true }],
    metrics: ['completion_rate'],
    startDate: null,
    endDate: null,
    version: 1,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

describe.each(IMPLEMENTATIONS)('%s experiment store', (impl) => {
  let stores: Stores;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    ({ stores, dispose } = await storesFor(impl, `contract_exp_${impl}`));
  }, 180_000);
  afterAll(async () => dispose?.());

  it('has the seeded homepage experiments running, and no holdout', async () => {
    const live = await stores.experiments.live();
    expect(live.holdoutPercentage).toBe(0);
    expect(live.experiments.map((e) => e.id)).toEqual(['artwork_personalization', 'homepage_row_order']);
  });

  it('writes an experiment and reads every field back, layer created on first use', async () => {
    const written = await stores.experiments.write('contract_one', (current) => {
      expect(current).toBeNull();
      return experiment('contract_one', {
        layer: 'contract_layer',
        layerStart: 500,
        endDate: '2099-01-01T00:00:00.000Z',
      });
    });
    const read = await stores.experiments.get('contract_one');
    expect(read).toEqual(written);
    expect(read).toMatchObject({ allocation: 12.34, layer: 'contract_layer', layerStart: 500, status: 'draft' });
    expect(read?.variants[1]?.config).toEqual({ nested: { on: true } });
  });

  it('hands the change the current row and the live experiments, and stores nothing when it throws', async () => {
    await stores.experiments.write('contract_two', () => experiment('contract_two'));
    await expect(
      stores.experiments.write('contract_two', () => {
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    const seen: string[] = [];
    await stores.experiments.write('contract_two', (current, live) => {
      seen.push(...live.map((e) => e.id));
      return { ...current!, status: 'running' };
    });
    expect(seen).toContain('homepage_row_order');
    expect((await stores.experiments.get('contract_two'))?.status).toBe('running');
    expect((await stores.experiments.list({ status: 'running' })).map((e) => e.id)).toContain('contract_two');
  });

  it('sets the holdout with two decimals', async () => {
    await stores.experiments.setHoldout(7.25);
    expect(await stores.experiments.holdout()).toBe(7.25);
    await stores.experiments.setHoldout(0);
  });

  it('records an exposure once per (experiment, version, profile), however often it arrives', async () => {
    const profileId = randomUUID();
    const exposure = {
      experimentId: 'contract_two',
      version: 1,
      profileId,
      variantId: 'treatment',
      exposedAt: new Date(),
    };
    expect(await stores.experiments.recordExposures([exposure])).toBe(1);
    expect(await stores.experiments.recordExposures([exposure, exposure])).toBe(0);
    expect(await stores.experiments.recordExposures([{ ...exposure, version: 2 }])).toBe(1);
    const counts = await stores.experiments.variantCounts('contract_two');
    expect(counts.get('treatment')).toEqual({ exposed: 1, completed: 0 });
    expect(await stores.experiments.existing(['contract_two', 'nope_nope'])).toEqual(new Set(['contract_two']));
    expect(await stores.experiments.planIds()).toEqual(['basic', 'premium', 'standard']);
  });
});
