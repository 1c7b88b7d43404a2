/**
 * A title's media: how it is encoded and localized (its profile, drawn once per top-level title
 * and shared by its episodes), and the video, audio and subtitle rows of one playable title.
 */
import { FRAME_RATES, SEGMENT_DURATION_SECONDS, encodingRows, type VideoProfile } from './ladders.ts';
import type { Rng } from './random.ts';
import type { CodecFamily, TitleTables } from './tables.ts';
import { DUB_LANGUAGES, SUBTITLE_LANGUAGES, audioTrackRows, subtitleTrackRows, type TrackProfile } from './tracks.ts';

/** Everything about how a top-level title is encoded and localized; episodes share it. */
export type MediaProfile = VideoProfile & TrackProfile;

/** Draws a title's profile from its genres: animation encodes cheaply, anime is Japanese in the original. */
export function mediaProfile(rng: Rng, genres: readonly string[], kids: boolean): MediaProfile {
  const animated = genres.includes('animation') || genres.includes('anime') || kids;
  const hdr = rng.chance(0.3);
  const uhd = hdr || rng.chance(0.2);
  const families: CodecFamily[] = ['avc1'];
  if (uhd || rng.chance(0.6)) families.push('hev1');
  if (rng.chance(0.5)) families.push('vp09');
  if (rng.chance(0.4)) families.push('av01');

  const originalLanguage = genres.includes('anime')
    ? 'ja'
    : rng.chance(0.85)
      ? 'en'
      : rng.pick(DUB_LANGUAGES.filter((l) => l !== 'ja'));
  const extraCount = rng.int(1, 2);
  const others = new Set<string>();
  if (originalLanguage !== 'en') others.add(originalLanguage);
  for (const l of rng.sample(DUB_LANGUAGES, 3)) {
    if (others.size >= extraCount) break;
    others.add(l);
  }
  const audioLanguages = ['en', ...others];

  const subtitleCount = rng.int(2, 5);
  const subtitleLanguages = ['en'];
  for (const l of [...others, ...rng.sample(SUBTITLE_LANGUAGES, 5)]) {
    if (subtitleLanguages.length >= subtitleCount) break;
    if (!subtitleLanguages.includes(l)) subtitleLanguages.push(l);
  }

  return {
    frameRate: rng.weighted(FRAME_RATES),
    complexity: animated ? rng.real(0.65, 0.9) : rng.real(0.85, 1.25),
    families,
    uhd,
    hdr,
    originalLanguage,
    audioLanguages,
    surround: rng.chance(0.5),
    audioDescription: rng.chance(0.2),
    subtitleLanguages,
    captions: rng.chance(0.5),
  };
}

/** Video, audio and subtitle rows for one playable title (a movie or an episode). */
export function playableMedia(
  rng: Rng,
  ns: string,
  titleId: string,
  durationSeconds: number,
  media: MediaProfile,
  out: TitleTables,
): void {
  const segmentCount = Math.ceil(durationSeconds / SEGMENT_DURATION_SECONDS);
  const jitter = rng.real(0.95, 1.05);
  out.encodings.push(...encodingRows(ns, titleId, segmentCount, media, jitter));
  out.audio_tracks.push(...audioTrackRows(ns, titleId, segmentCount, media));
  out.subtitle_tracks.push(...subtitleTrackRows(ns, titleId, media));
}
