import type { Context } from 'hono';
import type { ServiceClaims, UserTokenSigner, UserTokenSettings } from '../../../core/tokens.ts';
import type { Logger } from '../log.ts';
import type { Stores } from '../stores/types.ts';

/** What every origin handler can reach: its dependencies, built once at start. */
export interface OriginDeps {
  stores: Stores;
  log: Logger;
  signer: UserTokenSigner;
  tokenSettings: UserTokenSettings;
  serviceSecret: string;
  /** The operator API's bearer key (OPERATOR_API_KEY). */
  operatorApiKey: string;
  /** Fraction of the duration from which a title counts as completed, per content type. */
  completion: { movie: number; episode: number };
}

export interface OriginEnv {
  Variables: {
    deps: OriginDeps;
    requestId: string;
    /** The verified edge credential: who the edge says is calling, for this exact request. */
    caller: ServiceClaims;
  };
}

export type AppContext = Context<OriginEnv>;
