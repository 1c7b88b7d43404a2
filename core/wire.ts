/**
 * Wire types between clients, edge and origin: one zod schema gives both the TypeScript type and
 * the runtime validation on each side. Request schemas are strict (unknown fields are rejected).
 */
import { z } from 'zod';

export const Uuid = z.uuid();

const DeviceText = z
  .string()
  .trim()
  .min(1)
  .max(64)
  // The Cc category spelled as ranges: `\p{Cc}` says the same, but the JSON Schema pattern it
  // becomes is one fuzzers and other validators cannot use.
  // eslint-disable-next-line no-control-regex
  .regex(/^[^\u0000-\u001F\u007F-\u009F]*$/, 'must not contain control characters');

export const LoginRequest = z.strictObject({
  email: z.email().max(254),
  password: z.string().min(1).max(256),
  /** Shown in the device list, e.g. "Living-room TV". */
  deviceName: DeviceText.optional(),
  /** e.g. "tv", "phone", "browser". */
  deviceType: DeviceText.optional(),
  /** The device token a previous sign-in on this device returned (the login limiter trusts it). */
  deviceToken: z.string().max(512).optional(),
});
export type LoginRequest = z.infer<typeof LoginRequest>;

/** What the edge forwards to the origin: the client's fields plus what only the edge knows. */
export const OriginLoginRequest = LoginRequest.omit({ deviceToken: true }).extend({
  /** Two-letter country the edge saw the request from (`request.cf.country`), if any. */
  country: z
    .string()
    .regex(/^[A-Z0-9]{2}$/)
    .nullable()
    .optional(),
  userAgent: z.string().max(512).nullable().optional(),
});
export type OriginLoginRequest = z.infer<typeof OriginLoginRequest>;

export const TokenResponse = z.strictObject({
  token: z.string(),
  tokenType: z.literal('Bearer'),
  expiresAt: z.iso.datetime(),
});
export type TokenResponse = z.infer<typeof TokenResponse>;

/** A login or refresh: the account token, plus the session's refresh token (and a profile token if asked). */
export const SessionTokenResponse = TokenResponse.extend({
  refreshToken: z.string(),
  refreshExpiresAt: z.iso.datetime(),
  sessionId: Uuid,
  profile: TokenResponse.optional(),
  /** Login only: the device token to send with later logins on this device. */
  deviceToken: z.string().optional(),
});
export type SessionTokenResponse = z.infer<typeof SessionTokenResponse>;

export const RefreshRequest = z.strictObject({
  refreshToken: z.string().min(1).max(128),
  /** Also mint a profile token for this profile of the account. */
  profileId: Uuid.optional(),
});
export type RefreshRequest = z.infer<typeof RefreshRequest>;

export const PasswordChangeRequest = z.strictObject({
  oldPassword: z.string().min(1).max(256),
  newPassword: z.string().min(8).max(256),
});
export type PasswordChangeRequest = z.infer<typeof PasswordChangeRequest>;

export const SessionIdParam = z.strictObject({ sessionId: Uuid });

export const DeviceSession = z.strictObject({
  id: Uuid,
  deviceName: z.string().nullable(),
  deviceType: z.string().nullable(),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime(),
  /** Coarse: the country the session signed in from. */
  country: z.string().nullable(),
  userAgent: z.string().nullable(),
  current: z.boolean(),
});
export const SessionsResponse = z.strictObject({ sessions: z.array(DeviceSession) });
export type SessionsResponse = z.infer<typeof SessionsResponse>;

/**
 * Origin → edge only: `<accountId>;<untilEpochMs>;<sessionId>,…` names sessions just revoked, so the
 * edge refuses their tokens everywhere (workers/session-guard). The edge strips it.
 */
export const REVOKED_SESSIONS_HEADER = 'edgeflix-revoked-sessions';

export const Profile = z.strictObject({
  id: Uuid,
  name: z.string(),
  language: z.string(),
  maturityLevel: z.number().int(),
  kids: z.boolean(),
  avatar: z.string().nullable(),
  /** Genres the profile chose; the homepage gives each a row before any history exists. */
  favouriteGenres: z.array(z.string()),
});
export type Profile = z.infer<typeof Profile>;

/** A genre id as the catalog names them (`genres.id`); whether it exists is checked by the origin. */
export const GenreId = z.string().regex(/^[a-z0-9-]{1,40}$/, 'must be a genre id such as "comedy"');
/** At most this many favourite genres per profile (the column's CHECK agrees). */
export const MAX_FAVOURITE_GENRES = 10;
const FavouriteGenres = z
  .array(GenreId)
  .max(MAX_FAVOURITE_GENRES)
  .refine((ids) => new Set(ids).size === ids.length, 'must not name a genre twice');
const ProfileName = z
  .string()
  .trim()
  .min(1)
  .max(50)
  // The Cc category spelled as ranges, as DeviceText does (a pattern fuzzers can use).
  // eslint-disable-next-line no-control-regex
  .regex(/^[^\u0000-\u001F\u007F-\u009F]+$/, 'must not contain control characters');
/** A BCP 47 language tag as profiles store it. */
export const LanguageTag = z
  .string()
  .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a BCP 47 language tag such as "en"');
/** Maturity levels a profile may be given (the levels of `maturity_ratings`). */
export const PROFILE_MATURITY_LEVELS = [0, 10, 20, 30, 40, 50] as const;
const MaturityLevel = z
  .number()
  .int()
  .refine((n) => (PROFILE_MATURITY_LEVELS as readonly number[]).includes(n), {
    message: `must be one of ${PROFILE_MATURITY_LEVELS.join(', ')}`,
  });

/** POST /v1/profiles: a new profile of the calling account. A kids profile is held at level 10 or below. */
export const ProfileCreate = z.strictObject({
  name: ProfileName,
  language: LanguageTag.default('en'),
  kids: z.boolean().default(false),
  maturityLevel: MaturityLevel.optional(),
  avatar: z.string().max(200).nullable().default(null),
  favouriteGenres: FavouriteGenres.default([]),
});
export type ProfileCreate = z.infer<typeof ProfileCreate>;

/** PATCH /v1/profiles/{profileId}: the fields to change (at least one). */
export const ProfileUpdate = z
  .strictObject({
    name: ProfileName.optional(),
    language: LanguageTag.optional(),
    maturityLevel: MaturityLevel.optional(),
    avatar: z.string().max(200).nullable().optional(),
    favouriteGenres: FavouriteGenres.optional(),
  })
  .refine((u) => Object.keys(u).length > 0, 'must change at least one field');
export type ProfileUpdate = z.infer<typeof ProfileUpdate>;

export const ProfilesResponse = z.strictObject({ profiles: z.array(Profile) });
export type ProfilesResponse = z.infer<typeof ProfilesResponse>;

/** Path parameter `profileId`: validated before anything touches a store. */
export const ProfileIdParam = z.strictObject({ profileId: Uuid });

/** An empty JSON object, for POSTs that take no input (bodies are optional there). */
export const EmptyBody = z.strictObject({});
