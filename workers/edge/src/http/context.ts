import type { Context } from 'hono';
import type { UserClaims } from '../../../../core/tokens.ts';

export interface EdgeEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    /** The verified user token's claims, set by `requireUser`. */
    user: UserClaims;
  };
}

export type AppContext = Context<EdgeEnv>;
