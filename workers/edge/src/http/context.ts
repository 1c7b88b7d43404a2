import type { Context } from 'hono';
import type { Logger } from '../../../../core/log.ts';
import type { UserClaims } from '../../../../core/tokens.ts';

export interface EdgeEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    /** Structured logs at the configured level (`LOG_LEVEL`). */
    log: Logger;
    /** The verified user token's claims, set by `requireUser`. */
    user: UserClaims;
  };
}

export type AppContext = Context<EdgeEnv>;
