/**
 * What each plan may stream, keyed by the plan id the profile token carries (`plan` claim). The
 * edge filters manifests with it without asking the origin; it mirrors the seeded `plans` rows.
 */
import type { PlanLimits } from './device.ts';

export const PLAN_LIMITS: Readonly<Record<string, Readonly<Required<PlanLimits>>>> = Object.freeze({
  basic: { maxHeightFromPlan: 720, hdrFromPlan: false },
  standard: { maxHeightFromPlan: 1080, hdrFromPlan: false },
  premium: { maxHeightFromPlan: 2160, hdrFromPlan: true },
});

/** The limits of `planId`; an unknown plan gets the most restrictive one rather than everything. */
export function planLimits(planId: string): Required<PlanLimits> {
  const limits = Object.hasOwn(PLAN_LIMITS, planId) ? PLAN_LIMITS[planId] : undefined;
  return { ...(limits ?? PLAN_LIMITS['basic']!) };
}
