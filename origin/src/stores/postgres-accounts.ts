import type postgres from 'postgres';
import { randomUUID } from 'node:crypto';
import type { AccountRecord, AccountStore, ProfileRecord } from './types.ts';

interface AccountRow {
  id: string;
  email: string;
  password_hash: string;
  plan_id: string;
  country: string;
  created_at: Date;
}

interface ProfileRow {
  id: string;
  account_id: string;
  name: string;
  language: string;
  maturity_level: number;
  is_kids: boolean;
  avatar: string | null;
  favourite_genres: string[];
}

const toAccount = (r: AccountRow): AccountRecord => ({
  id: r.id,
  email: r.email,
  passwordHash: r.password_hash,
  planId: r.plan_id,
  country: r.country,
  createdAt: r.created_at,
});

const toProfile = (r: ProfileRow): ProfileRecord => ({
  id: r.id,
  accountId: r.account_id,
  name: r.name,
  language: r.language,
  maturityLevel: r.maturity_level,
  isKids: r.is_kids,
  avatar: r.avatar,
  favouriteGenres: r.favourite_genres,
});

const PROFILE_COLUMNS = 'id, account_id, name, language, maturity_level, is_kids, avatar, favourite_genres';
/** Postgres' unique_violation: another profile of the account has the name. */
const isUniqueViolation = (err: unknown) => (err as { code?: unknown } | null)?.code === '23505';

/** Accounts and profiles in PostgreSQL (postgres.js; the same SQL runs on PGlite). */
export function postgresAccountStore(sql: postgres.Sql): AccountStore {
  return {
    async findAccountByEmail(email) {
      const rows = await sql<AccountRow[]>`
        SELECT id, email, password_hash, plan_id, country, created_at
        FROM accounts WHERE email = ${email.trim().toLowerCase()}`;
      return rows[0] ? toAccount(rows[0]) : null;
    },
    async getAccount(accountId) {
      const rows = await sql<AccountRow[]>`
        SELECT id, email, password_hash, plan_id, country, created_at
        FROM accounts WHERE id = ${accountId}`;
      return rows[0] ? toAccount(rows[0]) : null;
    },
    async listProfiles(accountId) {
      const rows = await sql<ProfileRow[]>`
        SELECT ${sql.unsafe(PROFILE_COLUMNS)}
        FROM profiles WHERE account_id = ${accountId} ORDER BY created_at, name`;
      return rows.map(toProfile);
    },
    async getProfile(accountId, profileId) {
      const rows = await sql<ProfileRow[]>`
        SELECT ${sql.unsafe(PROFILE_COLUMNS)}
        FROM profiles WHERE account_id = ${accountId} AND id = ${profileId}`;
      return rows[0] ? toProfile(rows[0]) : null;
    },
    async profileOwners(profileIds) {
      const rows = await sql<{ id: string; account_id: string }[]>`
        SELECT id, account_id FROM profiles WHERE id = ANY(${[...new Set(profileIds)]}::uuid[])`;
      return new Map(rows.map((r) => [r.id, r.account_id]));
    },
    async setPasswordHash(accountId, passwordHash) {
      await sql`UPDATE accounts SET password_hash = ${passwordHash} WHERE id = ${accountId}`;
    },
    async createProfile(accountId, p) {
      try {
        const rows = await sql<ProfileRow[]>`
          INSERT INTO profiles (id, account_id, name, language, maturity_level, is_kids, avatar, favourite_genres)
          VALUES (${randomUUID()}, ${accountId}, ${p.name}, ${p.language}, ${p.maturityLevel}, ${p.isKids},
                  ${p.avatar}, ${p.favouriteGenres}::text[])
          RETURNING ${sql.unsafe(PROFILE_COLUMNS)}`;
        return rows[0] ? toProfile(rows[0]) : null;
      } catch (err) {
        if (isUniqueViolation(err)) return null;
        throw err;
      }
    },
    async updateProfile(accountId, profileId, c) {
      try {
        const rows = await sql<ProfileRow[]>`
          UPDATE profiles SET
            name = coalesce(${c.name ?? null}::text, name),
            language = coalesce(${c.language ?? null}::text, language),
            maturity_level = coalesce(${c.maturityLevel ?? null}::smallint, maturity_level),
            avatar = ${c.avatar === undefined ? sql`avatar` : sql`${c.avatar}::text`},
            favourite_genres = coalesce(${c.favouriteGenres ?? null}::text[], favourite_genres)
          WHERE account_id = ${accountId} AND id = ${profileId}
          RETURNING ${sql.unsafe(PROFILE_COLUMNS)}`;
        return rows[0] ? toProfile(rows[0]) : null;
      } catch (err) {
        if (isUniqueViolation(err)) return 'name_taken';
        throw err;
      }
    },
  };
}
