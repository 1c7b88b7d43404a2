import { describe, expect, it } from 'vitest';

import { planLimits } from './plans.ts';

describe('planLimits', () => {
  it('gives basic 720p SDR, standard 1080p SDR and premium 2160p with HDR', () => {
    expect(planLimits('basic')).toEqual({ maxHeightFromPlan: 720, hdrFromPlan: false });
    expect(planLimits('standard')).toEqual({ maxHeightFromPlan: 1080, hdrFromPlan: false });
    expect(planLimits('premium')).toEqual({ maxHeightFromPlan: 2160, hdrFromPlan: true });
  });

  it('treats an unknown plan (or an inherited property name) as the most restrictive one', () => {
    expect(planLimits('platinum')).toEqual(planLimits('basic'));
    expect(planLimits('toString')).toEqual(planLimits('basic'));
  });
});
