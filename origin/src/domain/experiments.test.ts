import { describe, expect, it } from 'vitest';
import type { Experiment } from '../../../core/experiments/schema.ts';
import { HttpError } from '../../../core/problem.ts';
import {
  applyEdit,
  applyTransition,
  configDocument,
  definitionProblems,
  overlapping,
  TRANSITIONS,
} from './experiments.ts';

const NOW = new Date('2026-11-24T12:00:00Z');
const PLANS = ['basic', 'standard', 'premium'];

function exp(overrides: Partial<Experiment> = {}): Experiment {
  return {
    id: 'exp_a',
    name: 'A',
    description: '',
    status: 'running',
    layer: 'surface',
    layerStart: 0,
    allocation: 20,
    variants: [
      { id: 'control', name: 'C', weight: 50, config: {} },
      { id: 'b', name: 'B', weight: 50, config: {} },
    ],
    targetGroups: [],
    metrics: [],
    startDate: '2026-11-01T00:00:00.000Z',
    endDate: null,
    version: 1,
    createdAt: NOW.toISOString(),
    updatedAt: NOW.toISOString(),
    ...overrides,
  };
}

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof HttpError ? err.code : 'other';
  }
  return null;
};

describe('experiment rules', () => {
  it('has completed as the only terminal state', () => {
    expect(Object.entries(TRANSITIONS).filter(([, next]) => next.length === 0)).toEqual([['completed', []]]);
  });

  it('sums weights in basis points, so 33.33 + 33.33 + 33.34 is exactly 100', () => {
    const thirds = exp({
      variants: [33.33, 33.33, 33.34].map((weight, i) => ({ id: `v${i}`, name: 'V', weight, config: {} })),
    });
    expect(definitionProblems(thirds, PLANS)).toEqual([]);
  });

  it('finds an overlap only with a live experiment of the same layer whose range intersects', () => {
    const a = exp({ id: 'exp_a', layerStart: 0, allocation: 20 });
    const live = [a, exp({ id: 'exp_old', layerStart: 2000, allocation: 10, status: 'completed' })];
    expect(overlapping(exp({ id: 'exp_b', layerStart: 2000, allocation: 10 }), live)).toBeUndefined();
    expect(overlapping(exp({ id: 'exp_b', layerStart: 1999, allocation: 10 }), live)?.id).toBe('exp_a');
    expect(overlapping(exp({ id: 'exp_b', layer: 'other', layerStart: 0 }), live)).toBeUndefined();
    expect(overlapping(exp({ id: 'exp_b', layerStart: 0, allocation: 0 }), live)).toBeUndefined();
  });

  it('bumps the version when, and only when, the allocation changes', () => {
    const e = exp();
    expect(applyEdit(e, { name: 'Renamed' }, [e], PLANS, NOW).version).toBe(1);
    expect(applyEdit(e, { allocation: 30 }, [e], PLANS, NOW).version).toBe(2);
    expect(codeOf(() => applyEdit(e, { allocation: 10 }, [e], PLANS, NOW))).toBe('conflict');
  });

  it('starts a draft from now when it has no start date, and refuses to start into a taken range', () => {
    const draft = exp({ id: 'exp_b', status: 'draft', startDate: null });
    expect(applyTransition(draft, 'running', [], NOW).startDate).toBe(NOW.toISOString());
    expect(codeOf(() => applyTransition(draft, 'running', [exp()], NOW))).toBe('conflict');
  });

  it('gives the edge config a version that follows its content, not its order of work', () => {
    const a = configDocument(0, [exp()]);
    expect(configDocument(0, [exp({ updatedAt: '2030-01-01T00:00:00.000Z' })]).version).toBe(a.version);
    expect(configDocument(1, [exp()]).version).not.toBe(a.version);
    expect(configDocument(0, [exp({ version: 2, allocation: 25 })]).version).not.toBe(a.version);
    expect(a.experiments[0]).not.toHaveProperty('name');
  });
});
