import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  acceptHeartbeat,
  completionThresholds,
  DEFAULT_COMPLETION_THRESHOLDS,
  isCompleted,
  MAX_FUTURE_SKEW_MS,
  POSITION_TOLERANCE_SECONDS,
  progressView,
  resumeAt,
  type CompletionThresholds,
  type Heartbeat,
  type PlayableType,
  type ProgressEntry,
} from './progress.ts';

const TITLE = '00000000-0000-4000-8000-000000000001';
const entryAt = (positionSeconds: number, durationSeconds: number): ProgressEntry => ({
  titleId: TITLE,
  positionSeconds,
  durationSeconds,
  eventTime: 1_700_000_000_000,
  tie: 0,
  deviceId: 'tv',
});

// Integers scaled down: fc.double leans on its bounds, and the interesting states lie between them.
const threshold = fc.integer({ min: 500, max: 1000 }).map((n) => n / 1000);
const thresholds = fc.record({ movie: threshold, episode: threshold });
const type = fc.constantFrom<PlayableType>('movie', 'episode');
const entry = fc
  .tuple(fc.integer({ min: 1, max: 20_000 }), fc.integer({ min: 0, max: 1001 }))
  .map(([duration, permille]) => entryAt((duration * permille) / 1000, duration));

describe('reading progress', () => {
  it('resumes a state where the view the origin builds of it says, for every content type and thresholds', () => {
    fc.assert(
      fc.property(entry, type, thresholds, (e, t, th) => {
        const view = progressView(e, t, th);
        // What the origin answers for this state and what the edge makes of it: one rule.
        expect(view.completed).toBe(e.positionSeconds / e.durationSeconds >= th[t]);
        expect(resumeAt(view)).toBe(view.completed ? 0 : e.positionSeconds);
      }),
    );
  });

  it("reads an episode by the episode threshold, never the movie's", () => {
    fc.assert(
      fc.property(entry, thresholds, (e, th) => {
        const asEpisode = isCompleted(e, 'episode', th);
        expect(asEpisode).toBe(isCompleted(e, 'episode', { ...th, movie: th.movie === 1 ? 0.5 : 1 }));
        expect(asEpisode).toBe(isCompleted(e, 'movie', { movie: th.episode, episode: th.movie }));
      }),
    );
  });

  it('starts an episode over past its own threshold even when the movie threshold is not reached', () => {
    const th: CompletionThresholds = { movie: 0.95, episode: 0.9 };
    const episode = entryAt(2_760, 3_000); // 92 %
    expect(resumeAt(progressView(episode, 'episode', th))).toBe(0);
    expect(resumeAt(progressView(episode, 'movie', th))).toBe(2_760);
    // Exactly at the threshold counts as finished; just below does not.
    expect(isCompleted(entryAt(2_700, 3_000), 'episode', th)).toBe(true);
    expect(isCompleted(entryAt(2_699, 3_000), 'episode', th)).toBe(false);
  });

  it('never counts a state without a duration as finished', () => {
    expect(isCompleted(entryAt(10, 0), 'movie', DEFAULT_COMPLETION_THRESHOLDS)).toBe(false);
    expect(progressView(entryAt(10, 0), 'episode', DEFAULT_COMPLETION_THRESHOLDS).progressPercent).toBe(0);
  });
});

describe('completionThresholds', () => {
  it('reads both variables, with the defaults for unset or empty ones', () => {
    expect(completionThresholds({})).toEqual(DEFAULT_COMPLETION_THRESHOLDS);
    expect(completionThresholds({ COMPLETION_THRESHOLD_MOVIE: '', COMPLETION_THRESHOLD_EPISODE: '0.9' })).toEqual({
      movie: DEFAULT_COMPLETION_THRESHOLDS.movie,
      episode: 0.9,
    });
    expect(completionThresholds({ COMPLETION_THRESHOLD_MOVIE: 0.8 })).toMatchObject({ movie: 0.8 });
  });

  it('refuses a value out of bounds or not a number, naming the variable', () => {
    expect(() => completionThresholds({ COMPLETION_THRESHOLD_EPISODE: '0.2' })).toThrow(/COMPLETION_THRESHOLD_EPISODE/);
    expect(() => completionThresholds({ COMPLETION_THRESHOLD_MOVIE: 'most' })).toThrow(/COMPLETION_THRESHOLD_MOVIE/);
  });
});

describe('accepting a heartbeat', () => {
  const RECEIVED = 1_700_000_000_000;
  const beat = (positionSeconds: number, durationSeconds: number, eventTime = RECEIVED): Heartbeat => ({
    titleId: TITLE,
    positionSeconds,
    durationSeconds,
    eventTime,
    deviceId: 'tv',
  });
  /** A heartbeat the schema takes: any declared duration, a position up to it plus the tolerance. */
  const declared = fc
    .tuple(fc.double({ min: 0.001, max: 50_000, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }))
    .map(([d, f]) => ({ durationSeconds: d, positionSeconds: f * (d + POSITION_TOLERANCE_SECONDS) }));
  const catalog = fc.double({ min: 1, max: 20_000, noNaN: true });

  it('judges completion on the catalog duration, whatever duration the client declares', () => {
    fc.assert(
      fc.property(declared, declared, catalog, type, thresholds, (a, b, duration, t, th) => {
        const accepted = acceptHeartbeat(beat(a.positionSeconds, a.durationSeconds), duration, RECEIVED);
        expect(accepted.durationSeconds).toBe(duration);
        expect(accepted.positionSeconds).toBe(Math.min(a.positionSeconds, duration));
        // The same position with any other declared duration reads the same.
        const other = acceptHeartbeat(beat(a.positionSeconds, b.durationSeconds), duration, RECEIVED);
        expect(isCompleted(other, t, th)).toBe(isCompleted(accepted, t, th));
      }),
    );
  });

  it('never counts one second of a declared one-second title as watching a long one', () => {
    const accepted = acceptHeartbeat(beat(1, 1), 60, RECEIVED);
    expect(accepted).toMatchObject({ positionSeconds: 1, durationSeconds: 60 });
    expect(progressView({ ...accepted, tie: 0 }, 'movie', DEFAULT_COMPLETION_THRESHOLDS).completed).toBe(false);
  });

  it('never dates a heartbeat later than the edge received it, and leaves an honest one alone', () => {
    fc.assert(
      fc.property(fc.integer({ min: -MAX_FUTURE_SKEW_MS, max: MAX_FUTURE_SKEW_MS }), (skew) => {
        const accepted = acceptHeartbeat(beat(10, 100, RECEIVED + skew), 100, RECEIVED);
        expect(accepted.eventTime).toBe(skew > 0 ? RECEIVED : RECEIVED + skew);
      }),
    );
  });
});
