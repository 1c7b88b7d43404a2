/**
 * The service credential every call to the origin carries: a short-lived, single-use HS256 token
 * bound to the call's method, path, request id and body bytes, naming who is calling (see
 * core/tokens.ts).
 */
import { identityClaims, signServiceToken, type AccountIdentity, type Identity } from '../../core/tokens.ts';

/** Who the credential names: a profile (with its account and maturity level), or an account alone. */
export type OriginCaller = (Identity | AccountIdentity) & {
  /** The session of the user token the caller presented (its `sid`), when it carried one. */
  sessionId?: string | undefined;
};

export interface CredentialFor {
  method: string;
  /** Path and query on the origin, exactly as requested. */
  path: string;
  requestId: string;
  caller?: OriginCaller | undefined;
  /** The exact body bytes to be sent (none: an empty body). */
  body?: string | undefined;
}

/** Mints the credential for one origin call with the shared secret (`SERVICE_TOKEN_SECRET`). */
export function mintServiceCredential(secret: string, call: CredentialFor): Promise<string> {
  return signServiceToken(
    {
      htm: call.method,
      htu: call.path,
      rid: call.requestId,
      ...(call.caller ? identityClaims(call.caller) : {}),
      ...(call.caller?.sessionId ? { sid: call.caller.sessionId } : {}),
    },
    secret,
    { body: call.body },
  );
}
