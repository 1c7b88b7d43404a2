/**
 * The origin's storage seams. Each has a real implementation (PostgreSQL, Cassandra, Kafka) and
 * an embedded one (everything in PGlite); `test/contract/` runs one suite against both.
 */
import type { ArtworkKind } from '../../../core/artwork.ts';
import type { KeyTier } from '../../../core/protection/tiers.ts';
import type { TitleCard, TitleDetail } from '../../../core/catalog.ts';
import type { Experiment, ExperimentStatus } from '../../../core/experiments/schema.ts';
import type { PlaybackSource } from '../../../core/manifest/source.ts';
import type { SessionSettings } from '../../../core/sessions.ts';
import type { SearchPage } from '../../../core/search.ts';
import type { Topic } from './names.ts';

export interface AccountRecord {
  id: string;
  email: string;
  passwordHash: string;
  planId: string;
  country: string;
  createdAt: Date;
}

export interface ProfileRecord {
  id: string;
  accountId: string;
  name: string;
  language: string;
  maturityLevel: number;
  isKids: boolean;
  avatar: string | null;
  /** Genre ids the profile chose (homepage rows from the first visit on). */
  favouriteGenres: string[];
}

/** A new profile's fields. */
export type NewProfile = Omit<ProfileRecord, 'id' | 'accountId'>;
/** The fields of a profile an update may change. */
export type ProfileChanges = Partial<
  Pick<ProfileRecord, 'name' | 'language' | 'maturityLevel' | 'avatar' | 'favouriteGenres'>
>;

/** Accounts and profiles (PostgreSQL in both modes). */
export interface AccountStore {
  findAccountByEmail(email: string): Promise<AccountRecord | null>;
  getAccount(accountId: string): Promise<AccountRecord | null>;
  listProfiles(accountId: string): Promise<ProfileRecord[]>;
  /** A profile reached only through its own account: another account's profile is `null`. */
  getProfile(accountId: string, profileId: string): Promise<ProfileRecord | null>;
  /** The account each of these profiles belongs to; a profile that does not exist is left out. */
  profileOwners(profileIds: readonly string[]): Promise<Map<string, string>>;
  setPasswordHash(accountId: string, passwordHash: string): Promise<void>;
  /** Adds a profile; `null` when the account already has a profile of that name. */
  createProfile(accountId: string, profile: NewProfile): Promise<ProfileRecord | null>;
  /**
   * Changes a profile of this account: the profile as it is now, `null` when there is no such
   * profile of this account, or `'name_taken'` when another of its profiles has that name.
   */
  updateProfile(
    accountId: string,
    profileId: string,
    changes: ProfileChanges,
  ): Promise<ProfileRecord | null | 'name_taken'>;
}

/** One signed-in device (core/sessions.ts). Refresh tokens appear only as SHA-256 hashes. */
export interface SessionRecord {
  id: string;
  accountId: string;
  deviceName: string | null;
  deviceType: string | null;
  userAgent: string | null;
  country: string | null;
  createdAt: Date;
  lastUsedAt: Date;
  idleExpiresAt: Date;
  absoluteExpiresAt: Date;
  revokedAt: Date | null;
}

export type NewSession = Omit<SessionRecord, 'lastUsedAt' | 'revokedAt'> & { refreshHash: string };

/** What presenting a refresh token did (see `refreshDecision` in core/sessions.ts). */
export type RefreshOutcome =
  | { kind: 'rotated' | 'replayed'; session: SessionRecord }
  /** A retired token: the session has just been revoked. */
  | { kind: 'reused'; session: SessionRecord }
  | { kind: 'ended'; reason: 'revoked' | 'idle' | 'absolute' }
  | { kind: 'unknown' };

/** Sessions (PostgreSQL in both modes). Every read and revocation is scoped to one account. */
export interface SessionStore {
  create(session: NewSession): Promise<void>;
  /**
   * Presents the refresh token hashed `presented`; on rotation its successor (hashed `successor`)
   * becomes current. One transaction: two concurrent refreshes of one token rotate once.
   */
  refresh(
    presented: string,
    successor: string,
    now: Date,
    settings: Pick<SessionSettings, 'idleS' | 'reuseGraceS'>,
  ): Promise<RefreshOutcome>;
  /** A live (not revoked, not expired) session of this account, else `null`. */
  getLive(accountId: string, sessionId: string, now: Date): Promise<SessionRecord | null>;
  /** This account's live sessions, most recently used first. */
  listLive(accountId: string, now: Date): Promise<SessionRecord[]>;
  /** Revokes the named sessions of this account (all but `except`, for `'all'`); answers the ids revoked now. */
  revoke(
    accountId: string,
    which: { ids: string[] } | { allExcept: string | null },
    now: Date,
    reason: string,
  ): Promise<string[]>;
}

export type ContentType = 'movie' | 'episode';

/** The latest known playback position of one title for one profile. */
export interface ProgressRecord {
  profileId: string;
  titleId: string;
  seriesId: string | null;
  contentType: ContentType;
  positionSeconds: number;
  durationSeconds: number;
  completed: boolean;
  deviceId: string;
  /** Event time of the heartbeat; the write with the later time wins. */
  lastWatchedAt: Date;
  /** Tie-break among equal event times (core/progress.ts); part of the write timestamp. */
  tie: number;
}

/** A completed title in a profile's watch history. */
export interface HistoryRecord {
  profileId: string;
  titleId: string;
  seriesId: string | null;
  contentType: ContentType;
  watchedAt: Date;
}

export interface Page<T> {
  items: T[];
  /** Opaque; pass back to get the next page. `null` on the last page. */
  nextCursor: string | null;
}

/** Viewing progress (Cassandra, or PGlite tables in the embedded default). */
export interface ProgressStore {
  /** Writes records; for each (profile, title) the record with the latest `lastWatchedAt` wins, in any order. */
  upsert(records: readonly ProgressRecord[]): Promise<void>;
  /**
   * Writes groups (each one profile's records, as `upsert`) in as few requests as the store can,
   * and answers each group's own outcome, in order; rejects only when no group was written.
   */
  upsertEach(groups: readonly (readonly ProgressRecord[])[]): Promise<PromiseSettledResult<void>[]>;
  get(profileId: string, titleId: string): Promise<ProgressRecord | null>;
  /** Every live record of a profile, most recently watched first. */
  listForProfile(profileId: string): Promise<ProgressRecord[]>;
  /** Hides a Continue Watching item (a series, movie or episode id) as of `at`. */
  hide(profileId: string, itemId: string, at: Date): Promise<void>;
  /** Hidden items of a profile and when each was hidden. */
  hiddenItems(profileId: string): Promise<Map<string, Date>>;
  /** `listForProfile` and `hiddenItems` together, in one read (Continue Watching needs both). */
  listWithHidden(profileId: string): Promise<{ records: ProgressRecord[]; hidden: Map<string, Date> }>;
  /** Records completions; recording one twice (same title and time) keeps one entry. */
  recordHistory(records: readonly HistoryRecord[]): Promise<void>;
  /** Watch history, newest first. */
  listHistory(profileId: string, options: { limit: number; cursor?: string | undefined }): Promise<Page<HistoryRecord>>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface EventMessage {
  /** Stable id so consumers can drop duplicates (delivery is at least once). */
  id: string;
  /** Partition key: events with one key are delivered in order. */
  key: string;
  value: Record<string, unknown>;
}

export type EventHandler = (event: EventMessage & { topic: Topic }) => Promise<void>;

export interface Subscription {
  stop(): Promise<void>;
}

/** Domain events (Kafka, or an outbox table in the embedded default). */
export interface EventBus {
  /** Resolves once every message is durably accepted. */
  publish(topic: Topic, messages: readonly EventMessage[]): Promise<void>;
  /** Delivers each message at least once to one member of the group; a handler error redelivers it. */
  subscribe(groupId: string, topic: Topic, handler: EventHandler): Promise<Subscription>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** What the progress pipeline needs to know about a title. */
export interface TitleSummary {
  id: string;
  type: 'movie' | 'series' | 'episode';
  name: string;
  seriesId: string | null;
  seriesName: string | null;
  seasonNumber: number | null;
  episodeNumber: number | null;
  durationSeconds: number | null;
  maturityLevel: number;
  maturityRating: string;
  /** Poster of the title, or of its series for an episode. */
  posterUrl: string | null;
  /** Genres of the title, or of its series for an episode. */
  genres: string[];
}

/** An episode by its place in its series. */
export interface EpisodeRef {
  seriesId: string;
  seasonNumber: number;
  episodeNumber: number;
}

/** The key of an episode's place (`nextEpisodes` answers by it). */
export const episodeKey = (r: {
  seriesId: string | null;
  seasonNumber: number | null;
  episodeNumber: number | null;
}): string => `${r.seriesId}:${r.seasonNumber}:${r.episodeNumber}`;

/** Catalog reads (PostgreSQL in both modes). */
export interface CatalogStore {
  /** Top-level titles (movies and series) a profile may see, newest first. */
  listTitles(query: {
    limit: number;
    cursor?: string | undefined;
    genre?: string | undefined;
    type?: 'movie' | 'series' | undefined;
    playable?: boolean | undefined;
    /** Only titles whose media is (true) or is not (false) being prepared right now. */
    preparing?: boolean | undefined;
    maxMaturityLevel: number;
  }): Promise<{ items: TitleCard[]; nextCursor: string | null }>;
  /** A movie or series with its seasons and episodes; `null` when there is no such top-level title. */
  titleDetail(id: string): Promise<TitleDetail | null>;
  titleSummaries(ids: readonly string[]): Promise<Map<string, TitleSummary>>;
  /**
   * A playable title (movie or episode) whose media is in the object store, with its whole ladder;
   * `null` for a series, an unknown title, or a title without media.
   */
  playbackSource(id: string): Promise<PlaybackSource | null>;
  /**
   * The episode after each (series, season, episode), keyed by `episodeKey` of the ref, or none
   * at the end of the series; one query for all refs.
   */
  nextEpisodes(refs: readonly EpisodeRef[]): Promise<Map<string, TitleSummary>>;
  /** What a title's artwork is drawn from; `null` when there is no such title. */
  artworkSource(titleId: string): Promise<ArtworkSource | null>;
}

/** A title's name, its genres (a series' for an episode) and the artwork URLs the catalog hands out for it. */
export interface ArtworkSource {
  titleId: string;
  name: string;
  genres: string[];
  artwork: { kind: ArtworkKind; variant: string | null; url: string }[];
}

/** Completion bookkeeping of the viewing-events consumer (PostgreSQL in both modes). */
export interface PreferenceStore {
  /** Whether this event would be a new completion (read-only; `applyCompletion` decides for real). */
  isNewCompletion(event: {
    profileId: string;
    titleId: string;
    completed: boolean;
    eventTime: number;
  }): Promise<boolean>;
  /**
   * Applies one viewing event to the title's completion state. Returns true when it is a new
   * completion (the caller records history and the genre preference bump happens here, in the
   * same transaction); false for a redelivery, an older event, or a non-completion.
   */
  applyCompletion(event: {
    profileId: string;
    titleId: string;
    completed: boolean;
    eventTime: number;
    genres: readonly string[];
  }): Promise<boolean>;
  genreScores(profileId: string): Promise<Map<string, number>>;
}

/** A top-level title as the homepage ranks it. */
export interface HomeCandidate {
  id: string;
  type: 'movie' | 'series';
  name: string;
  posterUrl: string | null;
  genres: string[];
  maturityRating: string;
  maturityLevel: number;
  popularity: number;
}

/** A profile as the homepage sees it. */
export interface ProfileSignals {
  /** The profile's language, or null for an unknown profile. */
  language: string | null;
  favouriteGenres: string[];
  genreScores: Map<string, number>;
  /** Movies and series the profile has finished. */
  finished: Set<string>;
  /** The item (movie or series) the profile most recently finished something of. */
  lastCompleted: string | null;
}

/** Homepage candidate queries (PostgreSQL in both modes). */
export interface HomeStore {
  /** Most distinct viewers over the last `days` (from viewing events), then popularity. */
  trending(q: { days: number; limit: number; maxMaturityLevel: number }): Promise<HomeCandidate[]>;
  byGenres(q: { genres: string[]; limit: number; maxMaturityLevel: number }): Promise<HomeCandidate[]>;
  /** Titles sharing the most genres with `titleId`. */
  similarTo(q: { titleId: string; limit: number; maxMaturityLevel: number }): Promise<HomeCandidate[]>;
  newReleases(q: { limit: number; maxMaturityLevel: number }): Promise<HomeCandidate[]>;
  /**
   * Popular titles for speakers of `language` (a primary subtag such as "fr"): made in it first
   * (original language; a title without an original name counts as English), then dubbed into it.
   */
  popularInLanguage(q: { language: string; limit: number; maxMaturityLevel: number }): Promise<HomeCandidate[]>;
  /** Genres with the most popular titles at or below the level, strongest first. */
  topGenres(q: { limit: number; maxMaturityLevel: number }): Promise<string[]>;
  /** Every genre: id → display name. */
  allGenres(): Promise<Map<string, string>>;
  /** What the homepage knows of one profile, in one query (`null` fields when it is unknown). */
  profileSignals(profileId: string): Promise<ProfileSignals>;
  /** Sets a title's maturity rating (an operator's correction); false when there is no such title or rating. */
  setMaturityRating(titleId: string, rating: string): Promise<boolean>;
  /** Movies and series the profile has finished. */
  finishedItems(profileId: string): Promise<Set<string>>;
  /** The item (movie or series) the profile most recently finished something of. */
  lastCompleted(profileId: string): Promise<string | null>;
  /** Per title: poster URL per artwork variant (a genre id). */
  posterVariants(titleIds: readonly string[]): Promise<Map<string, Map<string, string>>>;
  /** Display names of genres. */
  genreNames(ids: readonly string[]): Promise<Map<string, string>>;
  /** One viewer of an item on a day (idempotent). */
  recordViewer(itemId: string, at: Date, profileId: string): Promise<void>;
}

/** One profile's first sight of one experiment version. */
export interface ExposureRecord {
  experimentId: string;
  version: number;
  profileId: string;
  variantId: string;
  exposedAt: Date;
}

/** Per variant: distinct exposed profiles, and those with a completion after their exposure. */
export interface VariantCounts {
  exposed: number;
  completed: number;
}

/**
 * Decides an experiment change from the current state and the experiments that hold traffic
 * (running or paused); throws to refuse it. Called inside the store's transaction.
 */
export type ExperimentChange = (current: Experiment | null, live: readonly Experiment[]) => Experiment;

/** Experiments, the holdout and exposures (PostgreSQL in both modes). */
export interface ExperimentStore {
  list(filter?: { status?: ExperimentStatus | undefined }): Promise<Experiment[]>;
  get(id: string): Promise<Experiment | null>;
  /**
   * Writes what `change` answers for experiment `id` (`current` is null when it does not exist
   * yet). Changes are serialized, so two edits cannot both claim one layer range.
   */
  write(id: string, change: ExperimentChange): Promise<Experiment>;
  /** Running experiments and the holdout percentage: what the edge allocates with. */
  live(): Promise<{ holdoutPercentage: number; experiments: Experiment[] }>;
  holdout(): Promise<number>;
  setHoldout(percentage: number): Promise<void>;
  /** Plan ids that targeting may name. */
  planIds(): Promise<string[]>;
  /** Which of these ids are experiments. */
  existing(ids: readonly string[]): Promise<Set<string>>;
  /** Records exposures; one already recorded (same experiment, version, profile) is kept as it was. */
  recordExposures(records: readonly ExposureRecord[]): Promise<number>;
  /** Per variant counts over distinct profiles (all versions, or one). */
  variantCounts(experimentId: string, version?: number): Promise<Map<string, VariantCounts>>;
}

/** A content key of a protected title as stored: wrapped under CONTENT_KEY_KEK (migration 0012). */
export interface WrappedContentKey {
  kid: string;
  titleId: string;
  titleMaturityLevel: number;
  tier: KeyTier;
  wrappedKey: Uint8Array;
}

/** The content keys of protected titles. */
export interface ContentKeyStore {
  /** The keys among `kids` the catalog has (unknown ids are left out). */
  lookup(kids: readonly string[]): Promise<WrappedContentKey[]>;
}

/** Title search over the search documents (migrations/postgres/0008_search.sql). */
export interface SearchStore {
  /**
   * Movies and series matching `q`, best first, only at or below `maxMaturityLevel`. Throws a
   * RangeError for a cursor that is not from this query's previous page.
   */
  search(query: {
    q: string;
    limit: number;
    cursor?: string | undefined;
    maxMaturityLevel: number;
  }): Promise<SearchPage>;
}

export interface Stores {
  mode: 'embedded' | 'real';
  accounts: AccountStore;
  sessions: SessionStore;
  catalog: CatalogStore;
  preferences: PreferenceStore;
  home: HomeStore;
  search: SearchStore;
  contentKeys: ContentKeyStore;
  experiments: ExperimentStore;
  progress: ProgressStore;
  events: EventBus;
  /** Checks each store answers; the readiness probe reports them by name. */
  readiness(): Promise<Record<string, { ok: boolean; error?: string }>>;
  close(): Promise<void>;
}
