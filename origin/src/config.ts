/**
 * Origin configuration: read once from the environment and validated at start. A bad value
 * fails with a message naming the variable; secrets are never echoed back.
 */
import { z } from 'zod';
import { types as cassandraTypes } from 'cassandra-driver';
import { CompletionThreshold, DEFAULT_COMPLETION_THRESHOLDS } from '../../core/progress.ts';
import { DEFAULT_SESSION_SETTINGS, type SessionSettings } from '../../core/sessions.ts';
import { ACCOUNT_TOKEN_TTL_S, CLOCK_TOLERANCE_S, PROFILE_TOKEN_TTL_S } from '../../core/tokens.ts';

const port = z.coerce.number().int().min(0).max(65535);

const jwk = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON Web Key (JSON text)' });
      return z.NEVER;
    }
  })
  .pipe(
    z.looseObject({
      kty: z.literal('EC'),
      crv: z.literal('P-256'),
      d: z.string().min(1, 'must be a private key (with "d")'),
      x: z.string(),
      y: z.string(),
      kid: z.string().min(1, 'must have a "kid" so keys can rotate'),
    }),
  );

/** `SimpleStrategy:1` or `NetworkTopologyStrategy:us-east=3,eu-west=3`. */
const replication = z.string().transform((text, ctx) => {
  const simple = /^SimpleStrategy:(\d+)$/.exec(text);
  if (simple)
    return { class: 'SimpleStrategy', replication_factor: Number(simple[1]) } as Record<string, string | number>;
  const nts = /^NetworkTopologyStrategy:((?:[\w.-]+=\d+,?)+)$/.exec(text);
  if (nts?.[1]) {
    const out: Record<string, string | number> = { class: 'NetworkTopologyStrategy' };
    for (const pair of nts[1].split(',').filter(Boolean)) {
      const [dc, rf] = pair.split('=');
      if (dc && rf) out[dc] = Number(rf);
    }
    return out;
  }
  ctx.addIssue({
    code: 'custom',
    message: 'must look like "SimpleStrategy:1" or "NetworkTopologyStrategy:dc1=3,dc2=3"',
  });
  return z.NEVER;
});

const consistencyNames = Object.keys(cassandraTypes.consistencies) as [string, ...string[]];

/** Where the data lives: enough for migrations and seeding, which need no secrets. */
const storeFields = {
  STORE_MODE: z.enum(['embedded', 'real']).default('embedded'),
  /** Folder PGlite keeps its data in; `:memory:` for a throwaway database. */
  EMBEDDED_DATA_DIR: z.string().default('.edgeflix/pglite'),
  EMBEDDED_PG_PORT: port.default(54320),
  DATABASE_URL: z.url().optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  CASSANDRA_CONTACT_POINTS: z.string().default('127.0.0.1:9042'),
  CASSANDRA_LOCAL_DC: z.string().default('datacenter1'),
  CASSANDRA_KEYSPACE: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,47}$/, 'must be a lower-case Cassandra identifier')
    .default('edgeflix'),
  CASSANDRA_REPLICATION: replication.default({ class: 'SimpleStrategy', replication_factor: 1 }),
  CASSANDRA_CONSISTENCY: z.enum(consistencyNames).default('localQuorum'),
  KAFKA_BROKERS: z.string().default('127.0.0.1:9092'),
  KAFKA_CLIENT_ID: z.string().default('edgeflix-origin'),
  KAFKA_TOPIC_PARTITIONS: z.coerce.number().int().min(1).default(3),
  KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).default(1),
  /** `min.insync.replicas` of the topics the origin creates: with acks=all, the copies a write needs. */
  KAFKA_MIN_INSYNC_REPLICAS: z.coerce.number().int().min(1).default(1),
  /** Prepended to every topic name, so several environments (or test runs) can share a cluster. */
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]{0,100}$/, 'may contain letters, digits and . _ - only')
    .default(''),
};

const requireDatabaseInRealMode = (
  env: { STORE_MODE: string; DATABASE_URL?: string | undefined },
  ctx: z.RefinementCtx,
) => {
  if (env.STORE_MODE === 'real' && env.DATABASE_URL === undefined) {
    ctx.addIssue({ code: 'custom', path: ['DATABASE_URL'], message: 'is required when STORE_MODE=real' });
  }
};

/** A topic whose writes need more in-sync copies than it has replicas could never be written. */
const requireReachableInsync = (
  env: { KAFKA_REPLICATION_FACTOR: number; KAFKA_MIN_INSYNC_REPLICAS: number },
  ctx: z.RefinementCtx,
) => {
  if (env.KAFKA_MIN_INSYNC_REPLICAS > env.KAFKA_REPLICATION_FACTOR) {
    ctx.addIssue({
      code: 'custom',
      path: ['KAFKA_MIN_INSYNC_REPLICAS'],
      message: 'must not exceed KAFKA_REPLICATION_FACTOR',
    });
  }
};

const StoreSchema = z.object(storeFields).superRefine(requireDatabaseInRealMode).superRefine(requireReachableInsync);

const Schema = z
  .object({
    ...storeFields,
    HOST: z.string().default('127.0.0.1'),
    PORT: port.default(8788),
    AUTH_SIGNING_JWK: jwk,
    AUTH_ISSUER: z.string().min(1).default('edgeflix'),
    AUTH_AUDIENCE: z.string().min(1).default('edgeflix-api'),
    SERVICE_TOKEN_SECRET: z.string().min(32, 'must be at least 32 characters'),
    /** Seconds the edge's clock may differ from the origin's when a service credential is checked. */
    SERVICE_CLOCK_TOLERANCE_S: z.coerce.number().int().min(0).max(600).default(CLOCK_TOLERANCE_S),
    /** Bearer key of the operator API (/operator/v1); never the service secret. */
    OPERATOR_API_KEY: z.string().min(32, 'must be at least 32 characters').regex(/^\S+$/, 'must not contain spaces'),
    /** Key-encryption key of the content keys of protected titles (AES-KW, 32 bytes, base64url); see docs/protection.md. */
    CONTENT_KEY_KEK: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be 32 random bytes in base64url (43 characters)'),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    /** Fraction of the duration from which a movie / an episode counts as watched (the edge reads the same). */
    COMPLETION_THRESHOLD_MOVIE: CompletionThreshold.default(DEFAULT_COMPLETION_THRESHOLDS.movie),
    COMPLETION_THRESHOLD_EPISODE: CompletionThreshold.default(DEFAULT_COMPLETION_THRESHOLDS.episode),
    SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
    /** How long the homepage rows shared by a maturity level are kept in memory (docs/home.md). */
    HOME_SHARED_TTL_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
    /** Session lifetimes (core/sessions.ts): access and profile tokens, idle and absolute session ends, reuse grace. */
    ACCOUNT_TOKEN_TTL_SECONDS: z.coerce
      .number()
      .int()
      .min(10)
      .max(ACCOUNT_TOKEN_TTL_S)
      .default(DEFAULT_SESSION_SETTINGS.accountTokenTtlS),
    PROFILE_TOKEN_TTL_SECONDS: z.coerce
      .number()
      .int()
      .min(10)
      .max(PROFILE_TOKEN_TTL_S)
      .default(DEFAULT_SESSION_SETTINGS.profileTokenTtlS),
    SESSION_IDLE_SECONDS: z.coerce.number().int().min(60).default(DEFAULT_SESSION_SETTINGS.idleS),
    SESSION_ABSOLUTE_SECONDS: z.coerce.number().int().min(60).default(DEFAULT_SESSION_SETTINGS.absoluteS),
    REFRESH_REUSE_GRACE_SECONDS: z.coerce.number().int().min(0).max(60).default(DEFAULT_SESSION_SETTINGS.reuseGraceS),
  })
  .superRefine(requireDatabaseInRealMode)
  .superRefine(requireReachableInsync)
  .superRefine((env, ctx) => {
    if (env.OPERATOR_API_KEY === env.SERVICE_TOKEN_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['OPERATOR_API_KEY'], message: 'must differ from SERVICE_TOKEN_SECRET' });
    }
  });

export type Config = z.output<typeof Schema>;
export type StoreConfig = z.output<typeof StoreSchema>;

/** Raised when the environment is not a valid configuration; the message names each bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The session settings a configuration names. */
export function sessionSettings(config: Config): SessionSettings {
  return {
    accountTokenTtlS: config.ACCOUNT_TOKEN_TTL_SECONDS,
    profileTokenTtlS: config.PROFILE_TOKEN_TTL_SECONDS,
    idleS: config.SESSION_IDLE_SECONDS,
    absoluteS: config.SESSION_ABSOLUTE_SECONDS,
    reuseGraceS: config.REFRESH_REUSE_GRACE_SECONDS,
  };
}

/** Parses the environment (empty strings count as unset). */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  return parseEnv(Schema, env);
}

/** Only the store settings (for migrations and seeding). */
export function loadStoreConfig(env: Record<string, string | undefined> = process.env): StoreConfig {
  return parseEnv(StoreSchema, env);
}

function parseEnv<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): z.output<S> {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const variable = issue.path.join('.') || '(environment)';
    const message = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
    return `  ${variable} ${message}`;
  });
  throw new ConfigError(`Invalid origin configuration:\n${lines.join('\n')}`);
}
