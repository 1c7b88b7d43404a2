/**
 * The origin's storage seams. Each has a real implementation (PostgreSQL, Cassandra, Kafka) and
 * an embedded one (everything in PGlite); `test/contract/` runs one suite against both.
 */
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
}

/** Accounts and profiles (PostgreSQL in both modes). */
export interface AccountStore {
  findAccountByEmail(email: string): Promise<AccountRecord | null>;
  getAccount(accountId: string): Promise<AccountRecord | null>;
  listProfiles(accountId: string): Promise<ProfileRecord[]>;
  /** A profile reached only through its own account: another account's profile is `null`. */
  getProfile(accountId: string, profileId: string): Promise<ProfileRecord | null>;
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
}

/** Viewing progress (Cassandra, or PGlite tables in the embedded default). */
export interface ProgressStore {
  /** Writes records; for each (profile, title) the record with the latest `lastWatchedAt` wins, in any order. */
  upsert(records: readonly ProgressRecord[]): Promise<void>;
  get(profileId: string, titleId: string): Promise<ProgressRecord | null>;
  /** Every live record of a profile, most recently watched first. */
  listForProfile(profileId: string): Promise<ProgressRecord[]>;
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

export interface Stores {
  mode: 'embedded' | 'real';
  accounts: AccountStore;
  progress: ProgressStore;
  events: EventBus;
  /** Checks each store answers; the readiness probe reports them by name. */
  readiness(): Promise<Record<string, { ok: boolean; error?: string }>>;
  close(): Promise<void>;
}
