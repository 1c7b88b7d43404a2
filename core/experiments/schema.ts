/**
 * Experiment wire types, defined once for the operator API, the origin's config document, the
 * edge's assignments and the exposure events. Percentages have 0.01 granularity: the allocation
 * scheme works in basis points (1/10,000), see `allocate.ts`.
 */
import { z } from 'zod';

export const EXPERIMENT_STATUSES = ['draft', 'running', 'paused', 'completed'] as const;
export type ExperimentStatus = (typeof EXPERIMENT_STATUSES)[number];

/** What a client says it is (`X-Device-Type`), for device targeting. */
export const DEVICE_TYPES = ['tv', 'mobile', 'web', 'console'] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];

/** Account age buckets, from the token's `since` claim (see `tenureOf`). */
export const TENURES = ['new', 'established', 'loyal'] as const;
export type Tenure = (typeof TENURES)[number];

export const TARGET_TYPES = ['country', 'device', 'plan', 'tenure'] as const;

const slug = (what: string, min: number) =>
  z
    .string()
    .regex(
      new RegExp(`^[a-z][a-z0-9_]{${min - 1},63}$`),
      `${what} must be a lower-case slug (a-z, 0-9, _; ${min}-64 characters)`,
    );

export const ExperimentId = slug('experiment id', 2);
export const LayerId = slug('layer id', 2);
export const VariantId = slug('variant id', 1);

/** An experiment's allocation version; PostgreSQL stores it in an `integer`. */
export const ExperimentVersion = z.number().int().min(1).max(2_147_483_647);

/**
 * A percentage from 0 to 100 with at most two decimals (whole basis points). Exact: a two-decimal
 * literal is the double nearest k/100, and so is `Math.round(v * 100) / 100` (division rounds
 * correctly); `1e-9` is not, where a tolerance let it through.
 */
export const Percent = z
  .number()
  .min(0)
  .max(100)
  .refine((v) => Math.round(v * 100) / 100 === v, 'must have at most two decimals');

/** A percentage in basis points (0.01 % units), as the allocation scheme uses it. */
export const basisPoints = (percent: number): number => Math.round(percent * 100);

export const Variant = z.strictObject({
  id: VariantId,
  name: z.string().min(1).max(200),
  /** Share of the experiment's population, in percent; an experiment's weights sum to 100. */
  weight: Percent,
  /** What the variant changes, read by the code that acts on it. */
  config: z.record(z.string(), z.unknown()).default({}),
});
export type Variant = z.infer<typeof Variant>;

/** Include: the profile's value must be one of `values`; exclude: it must not be. */
export const TargetGroup = z.strictObject({
  type: z.enum(TARGET_TYPES),
  values: z.array(z.string().min(1).max(64)).min(1).max(300),
  include: z.boolean(),
});
export type TargetGroup = z.infer<typeof TargetGroup>;

/** An ISO 8601 date-time with an offset, in years 1970 to 9999 (PostgreSQL has no year 0000). */
const isoDate = z.iso.datetime({ offset: true }).refine((text) => {
  const year = new Date(text).getUTCFullYear();
  return year >= 1970 && year <= 9999;
}, 'must be a date-time from 1970 to 9999');

/** What an operator sends to create an experiment (it starts as a draft). */
export const ExperimentDefinition = z.strictObject({
  id: ExperimentId,
  name: z.string().min(1).max(200),
  description: z.string().max(4000).default(''),
  /** Experiments in one layer are mutually exclusive; `null` hashes the experiment on its own. */
  layer: LayerId.nullable().default(null),
  /** First basis point (0-9999) of the layer this experiment owns; its range grows from here. */
  layerStart: z.number().int().min(0).max(9999).default(0),
  allocation: Percent,
  variants: z.array(Variant).min(2).max(20),
  targetGroups: z.array(TargetGroup).max(20).default([]),
  metrics: z.array(z.string().min(1).max(64)).max(50).default([]),
  /** `null`: from when it is started. */
  startDate: isoDate.nullable().default(null),
  /** `null`: until it is completed. */
  endDate: isoDate.nullable().default(null),
});
export type ExperimentDefinition = z.output<typeof ExperimentDefinition>;

/** An edit: any definition field but the id. */
export const ExperimentPatch = z
  .strictObject({
    name: z.string().min(1).max(200),
    description: z.string().max(4000),
    layer: LayerId.nullable(),
    layerStart: z.number().int().min(0).max(9999),
    allocation: Percent,
    variants: z.array(Variant).min(2).max(20),
    targetGroups: z.array(TargetGroup).max(20),
    metrics: z.array(z.string().min(1).max(64)).max(50),
    startDate: isoDate.nullable(),
    endDate: isoDate.nullable(),
  })
  .partial();
export type ExperimentPatch = z.output<typeof ExperimentPatch>;

/** An experiment as the operator API answers it. */
export const Experiment = z.strictObject({
  ...ExperimentDefinition.shape,
  description: z.string(),
  layer: LayerId.nullable(),
  layerStart: z.number().int(),
  targetGroups: z.array(TargetGroup),
  metrics: z.array(z.string()),
  startDate: isoDate.nullable(),
  endDate: isoDate.nullable(),
  status: z.enum(EXPERIMENT_STATUSES),
  /** Bumped whenever the allocation changes; exposures are counted per version. */
  version: ExperimentVersion,
  createdAt: isoDate,
  updatedAt: isoDate,
});
export type Experiment = z.infer<typeof Experiment>;

export const StatusChange = z.strictObject({ status: z.enum(EXPERIMENT_STATUSES) });

export const Holdout = z.strictObject({
  /** Profiles in the holdout get no experiment at all. */
  percentage: Percent,
});
export type Holdout = z.infer<typeof Holdout>;

/** A running experiment as the edge needs it to allocate. */
export const EdgeExperiment = z.strictObject({
  id: ExperimentId,
  version: ExperimentVersion,
  layer: LayerId.nullable(),
  layerStart: z.number().int().min(0).max(9999),
  allocation: Percent,
  variants: z
    .array(z.strictObject({ id: VariantId, weight: Percent, config: z.record(z.string(), z.unknown()) }))
    .min(2),
  targetGroups: z.array(TargetGroup),
  startDate: isoDate.nullable(),
  endDate: isoDate.nullable(),
});
export type EdgeExperiment = z.infer<typeof EdgeExperiment>;

/** GET /internal/v1/experiments/config: everything the edge needs to allocate, with a content version. */
export const ExperimentsConfig = z.strictObject({
  /** Changes whenever anything below changes (it is also the ETag). */
  version: z.string().min(1),
  holdout: Holdout,
  experiments: z.array(EdgeExperiment),
});
export type ExperimentsConfig = z.infer<typeof ExperimentsConfig>;

/** What targeting looks at; `null` when unknown (an include rule then never matches). */
export interface AssignmentContext {
  country: string | null;
  device: DeviceType | null;
  plan: string | null;
  tenure: Tenure | null;
}

/** One experiment a profile is in, and its variant. */
export const Assignment = z.strictObject({
  experimentId: ExperimentId,
  variantId: VariantId,
  version: ExperimentVersion,
  config: z.record(z.string(), z.unknown()),
});
export type Assignment = z.infer<typeof Assignment>;

/** GET /v1/experiments. */
export const ExperimentsResponse = z.strictObject({
  assignments: z.array(Assignment),
  context: z.strictObject({
    country: z.string().nullable(),
    device: z.enum(DEVICE_TYPES).nullable(),
    plan: z.string().nullable(),
    tenure: z.enum(TENURES).nullable(),
  }),
  configVersion: z.string(),
  /** True when the origin could not be reached and the edge allocated with an older config. */
  configStale: z.boolean(),
});
export type ExperimentsResponse = z.infer<typeof ExperimentsResponse>;

/** The most exposures one request may carry (one per running experiment). */
export const MAX_EXPOSURES_PER_BATCH = 100;

/** POST /internal/v1/experiments/exposures: the calling profile saw these variants. */
export const ExposureBatch = z.strictObject({
  exposures: z
    .array(
      z.strictObject({
        experimentId: ExperimentId,
        version: ExperimentVersion,
        variantId: VariantId,
        /** Epoch milliseconds. */
        exposedAt: z.number().int().nonnegative(),
      }),
    )
    .min(1)
    .max(MAX_EXPOSURES_PER_BATCH),
});
export type ExposureBatch = z.infer<typeof ExposureBatch>;

/** GET /operator/v1/experiments/{id}/results. */
export const ExperimentResults = z.strictObject({
  experimentId: ExperimentId,
  status: z.enum(EXPERIMENT_STATUSES),
  version: z.number().int(),
  /** Distinct exposed profiles. */
  exposures: z.number().int(),
  variants: z.array(
    z.strictObject({
      variantId: VariantId,
      weight: z.number(),
      expected: z.number(),
      observed: z.number().int(),
      /** Exposed profiles with at least one completion after their exposure. */
      completions: z.number().int(),
      completionRate: z.number().nullable(),
    }),
  ),
  srm: z.strictObject({
    chiSquared: z.number(),
    degreesOfFreedom: z.number().int(),
    pValue: z.number(),
    threshold: z.number(),
    mismatch: z.boolean(),
  }),
  computedAt: isoDate,
});
export type ExperimentResults = z.infer<typeof ExperimentResults>;
