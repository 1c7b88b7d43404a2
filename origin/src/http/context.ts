import type { KeyEncryptionKey } from '../../../core/protection/key-wrap.ts';
import type { Context } from 'hono';
import type { AccountIdentity, Identity, UserTokenSigner, UserTokenSettings } from '../../../core/tokens.ts';
import type { SessionSettings } from '../../../core/sessions.ts';
import type { CompletionThresholds } from '../../../core/progress.ts';
import type { Logger } from '../log.ts';
import type { ProfileOwners, SeenCredentials } from './credential-checks.ts';
import type { Shelves } from '../home/shelves.ts';
import type { ProgressCommitter } from '../progress/group-commit.ts';
import type { Stores } from '../stores/types.ts';
import type { BreakerSettings, Breakers } from '../telemetry/breakers.ts';
import type { Metrics, Service } from '../telemetry/metrics.ts';

/** What every origin handler can reach: its dependencies, built once at start. */
export interface OriginDeps {
  stores: Stores;
  log: Logger;
  signer: UserTokenSigner;
  tokenSettings: UserTokenSettings;
  serviceSecret: string;
  /** Seconds of clock skew tolerated on service credentials (default `CLOCK_TOLERANCE_S`). */
  serviceClockToleranceS?: number;
  /** The operator API's bearer key (OPERATOR_API_KEY). */
  operatorApiKey: string;
  /** Unwraps the content keys of protected titles (CONTENT_KEY_KEK). */
  contentKeyKek: KeyEncryptionKey;
  /** Fraction of the duration from which a title counts as completed, per content type. */
  completion: CompletionThresholds;
  /** Token and session lifetimes (SESSION_* and *_TOKEN_TTL_SECONDS). */
  sessions: SessionSettings;
  /** The clock sessions are measured by (tests move it). */
  now?: () => Date;
  /** How long the homepage's shared lists are kept (HOME_SHARED_TTL_SECONDS; default 60 s). */
  homeSharedTtlMs?: number;
  /** Breaker budgets that differ from `BREAKER_DEFAULTS` (tests shorten them). */
  breakerSettings?: Partial<Record<Service, Partial<BreakerSettings>>>;
}

/** What handlers see: the dependencies, with stores behind breakers, and this instance's metrics. */
export interface AppDeps extends OriginDeps {
  metrics: Metrics;
  breakers: Breakers;
  /** Service credential ids already used (replays are refused). */
  seenCredentials: SeenCredentials;
  /** Which account each profile belongs to, cached. */
  profileOwners: ProfileOwners;
  /** The homepage lists shared by every profile of a maturity level, cached in this process. */
  shelves: Shelves;
  /** Progress flushes, group-committed across profiles. */
  progressCommits: ProgressCommitter;
}

export interface OriginEnv {
  Variables: {
    deps: AppDeps;
    requestId: string;
    /** Who the verified edge credential names for this exact request (nobody, for edge-only calls). */
    caller: Identity | AccountIdentity | undefined;
    /** The caller's session (the `sid` of the user token the edge verified), if it named one. */
    sessionId: string | undefined;
  };
}

export type AppContext = Context<OriginEnv>;
