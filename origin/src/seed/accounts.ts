/**
 * Demo accounts and profiles with fixed ids, so tests, docs and the seed agree on them.
 * Passwords are hashed here (scrypt, random salt) only when rows are built for insertion.
 */
import { hashPassword } from '../auth/passwords.ts';
import { EDGEFLIX_SEED_NAMESPACE, uuidV5 } from './random.ts';

export interface DemoProfile {
  name: string;
  language: string;
  maturityLevel: number;
  isKids: boolean;
  avatar: string;
}

export interface DemoAccount {
  email: string;
  password: string;
  planId: 'basic' | 'standard' | 'premium';
  country: string;
  profiles: readonly DemoProfile[];
}

export const DEMO_ACCOUNTS: readonly DemoAccount[] = [
  {
    email: 'demo@edgeflix.test',
    password: 'edgeflix-demo',
    planId: 'premium',
    country: 'US',
    profiles: [
      { name: 'Alex', language: 'en', maturityLevel: 50, isKids: false, avatar: '/avatars/01.png' },
      { name: 'Sam', language: 'en', maturityLevel: 30, isKids: false, avatar: '/avatars/02.png' },
      { name: 'Kids', language: 'en', maturityLevel: 10, isKids: true, avatar: '/avatars/kids.png' },
      { name: 'Léa', language: 'fr', maturityLevel: 50, isKids: false, avatar: '/avatars/03.png' },
    ],
  },
  {
    email: 'family@edgeflix.test',
    password: 'edgeflix-family',
    planId: 'standard',
    country: 'GB',
    profiles: [
      { name: 'Jordan', language: 'en', maturityLevel: 50, isKids: false, avatar: '/avatars/04.png' },
      { name: 'Kids', language: 'en', maturityLevel: 10, isKids: true, avatar: '/avatars/kids.png' },
    ],
  },
  {
    email: 'basic@edgeflix.test',
    password: 'edgeflix-basic',
    planId: 'basic',
    country: 'DE',
    profiles: [{ name: 'Mia', language: 'de', maturityLevel: 50, isKids: false, avatar: '/avatars/05.png' }],
  },
];

/** Email, password and profile names of each demo account, for tests and the README. */
export const DEMO_CREDENTIALS: readonly { email: string; password: string; profiles: readonly string[] }[] =
  DEMO_ACCOUNTS.map((a) => ({ email: a.email, password: a.password, profiles: a.profiles.map((p) => p.name) }));

/** Fixed account id for an email (independent of the catalog seed). */
export function demoAccountId(email: string): string {
  return uuidV5(EDGEFLIX_SEED_NAMESPACE, `account:${email}`);
}

/** Fixed profile id for an account email and profile name. */
function demoProfileId(email: string, profileName: string): string {
  return uuidV5(EDGEFLIX_SEED_NAMESPACE, `profile:${email}:${profileName}`);
}

export interface AccountRow {
  id: string;
  email: string;
  password_hash: string;
  plan_id: string;
  country: string;
}

export interface ProfileRow {
  id: string;
  account_id: string;
  name: string;
  language: string;
  maturity_level: number;
  is_kids: boolean;
  avatar: string | null;
}

/** An account row with a freshly hashed password (slow by design: one scrypt per call). */
export async function accountRow(account: DemoAccount): Promise<AccountRow> {
  return {
    id: demoAccountId(account.email),
    email: account.email,
    password_hash: await hashPassword(account.password),
    plan_id: account.planId,
    country: account.country,
  };
}

/** Profile rows for an account; `accountId` is the id the account actually has in the database. */
export function profileRows(account: DemoAccount, accountId: string): ProfileRow[] {
  return account.profiles.map((p) => ({
    id: demoProfileId(account.email, p.name),
    account_id: accountId,
    name: p.name,
    language: p.language,
    maturity_level: p.maturityLevel,
    is_kids: p.isKids,
    avatar: p.avatar,
  }));
}
