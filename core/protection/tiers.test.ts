import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { PLAN_LIMITS } from '../manifest/plans.ts';
import { KEY_TIERS, keyDecision, planCoversTier, videoKeyTier, VIDEO_KEY_TIERS, type KeyTier } from './tiers.ts';

const plans = fc.constantFrom('basic', 'standard', 'premium', 'platinum', 'toString');
const tiers = fc.constantFrom(...KEY_TIERS);
const level = fc.integer({ min: 0, max: 100 });
const uuid = fc.uuid();

/** The plan → highest video tier table, as the issue states it. */
const CEILING: Record<string, KeyTier> = { basic: 'sd', standard: 'hd', premium: 'uhd' };

describe('keyDecision over plan × maturity × tier', () => {
  it('grants exactly the keys of the requested title, within the maturity level, up to the plan ceiling', () => {
    fc.assert(
      fc.property(
        plans,
        tiers,
        level,
        level,
        uuid,
        fc.boolean(),
        (plan, tier, profileLevel, titleLevel, titleId, same) => {
          const keyTitle = same ? titleId : `${titleId.slice(0, -1)}${titleId.endsWith('0') ? '1' : '0'}`;
          const decision = keyDecision(
            { titleId, planId: plan, profileMaturityLevel: profileLevel },
            { titleId: keyTitle, titleMaturityLevel: titleLevel, tier },
          );
          const ceiling = Object.hasOwn(CEILING, plan) ? CEILING[plan] : 'sd';
          const withinPlan =
            tier === 'audio' || VIDEO_KEY_TIERS.indexOf(tier as 'sd') <= VIDEO_KEY_TIERS.indexOf(ceiling as 'sd');
          const expected = !same
            ? 'other-title'
            : titleLevel > profileLevel
              ? 'maturity'
              : !withinPlan
                ? 'plan'
                : 'granted';
          expect(decision).toBe(expected);
        },
      ),
    );
  });

  it('never grants an unknown key id', () => {
    fc.assert(
      fc.property(plans, level, uuid, (plan, profileLevel, titleId) => {
        expect(keyDecision({ titleId, planId: plan, profileMaturityLevel: profileLevel }, undefined)).toBe('unknown');
      }),
    );
  });

  it('is monotone in the plan: whatever basic may hold, standard may; whatever standard may, premium may', () => {
    fc.assert(
      fc.property(tiers, (tier) => {
        if (planCoversTier('basic', tier)) expect(planCoversTier('standard', tier)).toBe(true);
        if (planCoversTier('standard', tier)) expect(planCoversTier('premium', tier)).toBe(true);
      }),
    );
  });
});

describe('videoKeyTier', () => {
  it('puts ≤ 480 lines in SD, 481-1080 SDR in HD, taller or any HDR in UHD', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4320 }), fc.constantFrom('SDR', 'HDR10', 'HLG', 'DV'), (height, range) => {
        const tier = videoKeyTier({ height, dynamicRange: range });
        expect(tier).toBe(range !== 'SDR' || height > 1080 ? 'uhd' : height > 480 ? 'hd' : 'sd');
      }),
    );
  });

  it('never lets a plan hold a key for a rendition its manifest limits leave out', () => {
    // The manifest's plan limits (plans.ts) and the key ceiling must agree at the top: nothing a
    // plan's key ceiling allows is taller than the plan's resolution limit.
    for (const [plan, limits] of Object.entries(PLAN_LIMITS)) {
      for (const height of [240, 480, 720, 1080, 2160]) {
        if (planCoversTier(plan, videoKeyTier({ height, dynamicRange: 'SDR' }))) {
          expect(height).toBeLessThanOrEqual(limits.maxHeightFromPlan);
        }
      }
    }
  });
});
