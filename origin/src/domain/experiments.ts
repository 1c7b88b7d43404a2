/**
 * The operator's rules for experiments, pure: what a valid definition is (422 otherwise), which
 * edits and state changes the current state allows (409 otherwise), and the config document the
 * edge allocates with. Nothing here may move a profile that is already in a live experiment.
 */
import { createHash } from 'node:crypto';
import { BUCKETS } from '../../../core/experiments/allocate.ts';
import {
  basisPoints,
  DEVICE_TYPES,
  TENURES,
  type Experiment,
  type ExperimentDefinition,
  type ExperimentPatch,
  type ExperimentStatus,
  type ExperimentsConfig,
} from '../../../core/experiments/schema.ts';
import { HttpError, type FieldError } from '../../../core/problem.ts';

/** Which status may follow which; completed is terminal. */
export const TRANSITIONS: Record<ExperimentStatus, readonly ExperimentStatus[]> = {
  draft: ['running'],
  running: ['paused', 'completed'],
  paused: ['running', 'completed'],
  completed: [],
};

/** Experiments that hold traffic: their layer ranges are taken, and their population must not move. */
const isLive = (e: Pick<Experiment, 'status'>) => e.status === 'running' || e.status === 'paused';

type Definition = Omit<Experiment, 'status' | 'version' | 'createdAt' | 'updatedAt'>;

/** Rule violations of a well-formed definition (each becomes a field error of a 422). */
export function definitionProblems(d: Definition, planIds: readonly string[]): FieldError[] {
  const errors: FieldError[] = [];
  const weight = d.variants.reduce((sum, v) => sum + basisPoints(v.weight), 0);
  if (weight !== BUCKETS) {
    errors.push({ path: 'variants', message: `weights must sum to 100 (they sum to ${weight / 100})` });
  }
  const seen = new Set<string>();
  d.variants.forEach((v, i) => {
    if (seen.has(v.id)) errors.push({ path: `variants.${i}.id`, message: `variant id "${v.id}" is used twice` });
    seen.add(v.id);
  });
  if (d.startDate !== null && d.endDate !== null && Date.parse(d.endDate) <= Date.parse(d.startDate)) {
    errors.push({ path: 'endDate', message: 'must be after startDate' });
  }
  if (d.layer === null && d.layerStart !== 0) {
    errors.push({ path: 'layerStart', message: 'only an experiment in a layer has a layer start' });
  }
  if (d.layerStart + basisPoints(d.allocation) > BUCKETS) {
    errors.push({ path: 'allocation', message: 'layerStart + allocation x 100 must not exceed 10000' });
  }
  const valid: Record<string, (value: string) => boolean> = {
    country: (v) => /^[A-Z]{2}$/.test(v),
    device: (v) => (DEVICE_TYPES as readonly string[]).includes(v),
    plan: (v) => planIds.includes(v),
    tenure: (v) => (TENURES as readonly string[]).includes(v),
  };
  const expected: Record<string, string> = {
    country: 'an ISO 3166-1 alpha-2 code in capitals',
    device: DEVICE_TYPES.join(', '),
    plan: planIds.join(', '),
    tenure: TENURES.join(', '),
  };
  d.targetGroups.forEach((g, i) => {
    g.values.forEach((value, j) => {
      if (!valid[g.type]!(value)) {
        errors.push({
          path: `targetGroups.${i}.values.${j}`,
          message: `"${value}" is not a ${g.type} (expected ${expected[g.type]})`,
        });
      }
    });
  });
  return errors;
}

/** Throws the 422 for a definition that breaks a rule. */
export function assertValidDefinition(d: Definition, planIds: readonly string[]): void {
  const errors = definitionProblems(d, planIds);
  if (errors.length > 0) {
    throw new HttpError('unprocessable', `The experiment breaks a rule: ${errors.map((e) => e.message).join('; ')}`, {
      errors,
    });
  }
}

/** The bucket range an experiment takes in its layer. */
const layerRange = (e: Pick<Experiment, 'layerStart' | 'allocation'>) => ({
  start: e.layerStart,
  end: e.layerStart + basisPoints(e.allocation),
});

/** A live experiment of the same layer whose range intersects `e`'s, if any. */
export function overlapping(e: Definition, live: readonly Experiment[]): Experiment | undefined {
  if (e.layer === null) return undefined;
  const mine = layerRange(e);
  if (mine.end === mine.start) return undefined;
  return live.find((other) => {
    if (other.id === e.id || other.layer !== e.layer || !isLive(other)) return false;
    const theirs = layerRange(other);
    return theirs.start < mine.end && mine.start < theirs.end;
  });
}

function assertNoOverlap(e: Definition, live: readonly Experiment[]): void {
  const other = overlapping(e, live);
  if (other) {
    const r = layerRange(other);
    throw new HttpError(
      'conflict',
      `Layer "${e.layer}" buckets ${r.start}-${r.end - 1} belong to experiment "${other.id}"; choose another range`,
      { errors: [{ path: 'layerStart', message: `overlaps "${other.id}"` }] },
    );
  }
}

/** A new draft from a validated definition. */
export function newDraft(d: ExperimentDefinition, live: readonly Experiment[], now: Date): Experiment {
  const draft: Experiment = {
    ...d,
    status: 'draft',
    version: 1,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
  assertNoOverlap(draft, live);
  return draft;
}

/** Fields whose change would move profiles of a live experiment between variants or out of it. */
const FROZEN_WHEN_LIVE = ['variants', 'layer', 'layerStart', 'targetGroups', 'startDate'] as const;

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Applies an edit. A draft takes any change; a running or paused one only changes that keep every
 * allocated profile where it is (name, description, metrics, end date, a wider allocation); a
 * completed one none. The version bumps whenever the allocation changes.
 */
export function applyEdit(
  current: Experiment,
  patch: ExperimentPatch,
  live: readonly Experiment[],
  planIds: readonly string[],
  now: Date,
): Experiment {
  if (current.status === 'completed') throw new HttpError('conflict', 'A completed experiment cannot change');
  const next: Experiment = { ...current, ...patch, updatedAt: now.toISOString() };
  assertValidDefinition(next, planIds);
  if (isLive(current)) {
    const moved = FROZEN_WHEN_LIVE.filter((field) => patch[field] !== undefined && !same(patch[field], current[field]));
    if (moved.length > 0) {
      throw new HttpError(
        'conflict',
        `A ${current.status} experiment cannot change ${moved.join(', ')}: that would move allocated profiles. Complete it and start a new one`,
        { errors: moved.map((path) => ({ path, message: 'cannot change while the experiment is live' })) },
      );
    }
    if (basisPoints(next.allocation) < basisPoints(current.allocation)) {
      throw new HttpError(
        'conflict',
        `A ${current.status} experiment's allocation can only grow (${current.allocation} → ${next.allocation} would drop allocated profiles)`,
        { errors: [{ path: 'allocation', message: 'cannot shrink while the experiment is live' }] },
      );
    }
    if (next.endDate !== null && Date.parse(next.endDate) <= now.getTime() && !same(next.endDate, current.endDate)) {
      throw new HttpError('unprocessable', 'A live experiment’s end date must be in the future', {
        errors: [{ path: 'endDate', message: 'must be in the future' }],
      });
    }
  }
  if (basisPoints(next.allocation) !== basisPoints(current.allocation)) next.version = current.version + 1;
  assertNoOverlap(next, live);
  return next;
}

/** Moves an experiment to `to`, if the state machine allows it. */
export function applyTransition(
  current: Experiment,
  to: ExperimentStatus,
  live: readonly Experiment[],
  now: Date,
): Experiment {
  if (!TRANSITIONS[current.status].includes(to)) {
    const allowed = TRANSITIONS[current.status];
    throw new HttpError(
      'conflict',
      `Cannot move a ${current.status} experiment to ${to}` +
        (allowed.length > 0 ? ` (it can go to ${allowed.join(' or ')})` : ': completed is final'),
    );
  }
  const next: Experiment = { ...current, status: to, updatedAt: now.toISOString() };
  if (current.status === 'draft' && to === 'running') {
    if (next.endDate !== null && Date.parse(next.endDate) <= now.getTime()) {
      throw new HttpError('conflict', 'The experiment’s end date has passed; edit it before starting');
    }
    next.startDate ??= now.toISOString();
    assertNoOverlap(next, live);
  }
  return next;
}

/** The edge's config document: running experiments, the holdout, and a version that changes with either. */
export function configDocument(holdoutPercentage: number, running: readonly Experiment[]): ExperimentsConfig {
  const body = {
    holdout: { percentage: holdoutPercentage },
    experiments: running.map((e) => ({
      id: e.id,
      version: e.version,
      layer: e.layer,
      layerStart: e.layerStart,
      allocation: e.allocation,
      variants: e.variants.map((v) => ({ id: v.id, weight: v.weight, config: v.config })),
      targetGroups: e.targetGroups,
      startDate: e.startDate,
      endDate: e.endDate,
    })),
  };
  const version = createHash('sha256').update(JSON.stringify(body)).digest('base64url').slice(0, 22);
  return { version, ...body };
}
