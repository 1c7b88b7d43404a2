/**
 * Wire types between clients, edge and origin: one zod schema gives both the TypeScript type and
 * the runtime validation on each side. Request schemas are strict (unknown fields are rejected).
 */
import { z } from 'zod';

export const Uuid = z.uuid();

export const LoginRequest = z.strictObject({
  email: z.email().max(254),
  password: z.string().min(1).max(256),
});
export type LoginRequest = z.infer<typeof LoginRequest>;

export const TokenResponse = z.strictObject({
  token: z.string(),
  tokenType: z.literal('Bearer'),
  expiresAt: z.iso.datetime(),
});
export type TokenResponse = z.infer<typeof TokenResponse>;

export const Profile = z.strictObject({
  id: Uuid,
  name: z.string(),
  language: z.string(),
  maturityLevel: z.number().int(),
  kids: z.boolean(),
  avatar: z.string().nullable(),
});
export type Profile = z.infer<typeof Profile>;

export const ProfilesResponse = z.strictObject({ profiles: z.array(Profile) });
export type ProfilesResponse = z.infer<typeof ProfilesResponse>;

/** Path parameter `profileId`: validated before anything touches a store. */
export const ProfileIdParam = z.strictObject({ profileId: Uuid });

/** An empty JSON object, for POSTs that take no input (bodies are optional there). */
export const EmptyBody = z.strictObject({});
