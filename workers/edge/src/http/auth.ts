import { createMiddleware } from 'hono/factory';
import { HttpError } from '../../../../core/problem.ts';
import {
  bearerToken,
  identityOf,
  userTokenVerifier,
  type AccountIdentity,
  type Identity,
  type ProfileClaims,
  type UserClaims,
} from '../../../../core/tokens.ts';
import type { AppContext, EdgeEnv } from './context.ts';
import { checkSession } from './session-guard.ts';

type Verify = ReturnType<typeof userTokenVerifier>;
let cached: { source: string; verify: Verify } | undefined;

/** One verifier per isolate, rebuilt only when the configured key set changes. */
function verifierFor(env: Env): Verify {
  const source = `${env.AUTH_ISSUER}\n${env.AUTH_AUDIENCE}\n${env.AUTH_PUBLIC_JWKS}`;
  if (cached?.source !== source) {
    let jwks: unknown;
    try {
      jwks = JSON.parse(env.AUTH_PUBLIC_JWKS);
    } catch {
      throw new Error('AUTH_PUBLIC_JWKS is not valid JSON');
    }
    const verify = userTokenVerifier(jwks as Parameters<typeof userTokenVerifier>[0], {
      issuer: env.AUTH_ISSUER,
      audience: env.AUTH_AUDIENCE,
    });
    cached = { source, verify };
  }
  return cached.verify;
}

/**
 * Verifies the caller's token (pinned ES256, exp/iss/aud, known kid) before anything else runs,
 * that its session was not signed out (http/session-guard.ts), and that it grants the scope the
 * route needs.
 */
export function requireUser(
  scope: UserClaims['scope'] | 'any',
  /** Where the `Bearer <token>` is: the Authorization header, unless the route says otherwise. */
  authorization: (c: AppContext) => string | undefined = (c) => c.req.header('authorization'),
) {
  return createMiddleware<EdgeEnv>(async (c, next) => {
    // Verified once per request: a route's own requireUser after the /v1 one only checks the scope.
    const claims =
      (c.get('user') as UserClaims | undefined) ?? (await verifierFor(c.env)(bearerToken(authorization(c))));
    if (scope !== 'any' && claims.scope !== scope) {
      throw new HttpError('forbidden', `This route needs a ${scope} token, not a ${claims.scope} token`);
    }
    if (!c.get('user')) await checkSession(c, claims);
    c.set('user', claims);
    await next();
  });
}

/** The verified profile token's claims, behind `requireUser('profile')`. */
export function profileClaims(c: AppContext): ProfileClaims {
  const user = c.get('user');
  if (user.scope !== 'profile') throw new HttpError('forbidden', 'This route needs a profile token');
  return user;
}

/** Who the verified profile token names (account, profile, maturity level), behind `requireUser('profile')`. */
export function profileIdentity(c: AppContext): Identity {
  return identityOf(profileClaims(c));
}

/** Who the verified token names: a profile, or an account alone (an account token). */
export function callerIdentity(c: AppContext): Identity | AccountIdentity {
  const who = identityOf(c.get('user'));
  if (!who) throw new HttpError('unauthenticated', 'This route needs a signed-in account');
  return who;
}
