/** Audio and subtitle tracks: which languages a title carries, and its track rows. */
import { SEGMENT_DURATION_SECONDS } from './ladders.ts';
import { uuidV5 } from './random.ts';
import type { AudioRole, AudioTrackRow, ChannelLayout, SubtitleKind, SubtitleTrackRow } from './tables.ts';

/** Track labels, in the language itself. */
const LANGUAGE_LABELS: Readonly<Record<string, string>> = {
  en: 'English',
  es: 'Español',
  fr: 'Français',
  de: 'Deutsch',
  ja: '日本語',
  'pt-BR': 'Português (Brasil)',
  it: 'Italiano',
  ko: '한국어',
  ar: 'العربية',
  'zh-Hans': '中文（简体）',
  nl: 'Nederlands',
  pl: 'Polski',
  sv: 'Svenska',
  tr: 'Türkçe',
  hi: 'हिन्दी',
};

export const DUB_LANGUAGES = ['es', 'fr', 'de', 'ja', 'pt-BR', 'it', 'ko'] as const;
export const SUBTITLE_LANGUAGES = Object.keys(LANGUAGE_LABELS).filter((l) => l !== 'en');

function label(language: string): string {
  return LANGUAGE_LABELS[language] ?? language;
}

/** How a top-level title is localized; its episodes share it. */
export interface TrackProfile {
  originalLanguage: string;
  audioLanguages: readonly string[];
  surround: boolean;
  audioDescription: boolean;
  subtitleLanguages: readonly string[];
  captions: boolean;
}

/** Stereo per audio language, 5.1 for English and the original when surround, and audio description. */
export function audioTrackRows(
  ns: string,
  titleId: string,
  segmentCount: number,
  tracks: TrackProfile,
): AudioTrackRow[] {
  const rows: AudioTrackRow[] = [];
  const audio = (
    language: string,
    layout: ChannelLayout,
    role: AudioRole,
    isDefault: boolean,
    trackLabel: string,
  ): void => {
    const codec = layout === '5.1' ? 'ec-3' : 'mp4a.40.2';
    const suffix = role === 'description' || role === 'commentary' ? `-${role}` : '';
    rows.push({
      id: uuidV5(ns, `audio:${titleId}:${language}:${codec}:${layout}:${role}`),
      title_id: titleId,
      language,
      label: trackLabel,
      codec,
      channel_layout: layout,
      channels: layout === '5.1' ? 6 : 2,
      bandwidth: layout === '5.1' ? 640_000 : 128_000,
      sample_rate: 48_000,
      role,
      is_default: isDefault,
      segment_duration_seconds: SEGMENT_DURATION_SECONDS,
      segment_count: segmentCount,
      storage_prefix: `media/${titleId}/audio-${language}-${layout}${suffix}/`,
    });
  };
  for (const language of tracks.audioLanguages) {
    const role: AudioRole = language === tracks.originalLanguage ? 'main' : 'dub';
    audio(language, '2.0', role, language === 'en', label(language));
    if (tracks.surround && (language === 'en' || language === tracks.originalLanguage)) {
      audio(language, '5.1', role, false, `${label(language)} 5.1`);
    }
  }
  if (tracks.audioDescription) audio('en', '2.0', 'description', false, 'English – Audio Description');
  return rows;
}

/** One WebVTT track per subtitle language, and English closed captions when the title has them. */
export function subtitleTrackRows(ns: string, titleId: string, tracks: TrackProfile): SubtitleTrackRow[] {
  const rows: SubtitleTrackRow[] = [];
  const subtitle = (language: string, kind: SubtitleKind, key: string, trackLabel: string): void => {
    rows.push({
      id: uuidV5(ns, `subtitle:${titleId}:${language}:${kind}`),
      title_id: titleId,
      language,
      label: trackLabel,
      kind,
      format: 'webvtt',
      storage_key: `media/${titleId}/${key}.vtt`,
    });
  };
  for (const language of tracks.subtitleLanguages) subtitle(language, 'subtitles', `subs-${language}`, label(language));
  if (tracks.captions) subtitle('en', 'captions', 'subs-en-sdh', 'English (CC)');
  return rows;
}
