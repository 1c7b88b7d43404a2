/** The chaos proxy's rules and request log, shared by the proxy (Node) and the tests (workerd). */

export type ChaosMode = 'status' | 'reset' | 'delay' | 'lost-ack' | 'fake-ack';

export interface ChaosRule {
  mode: ChaosMode;
  failNext: number;
  pid?: string;
  path?: string;
  status?: number;
  delayMs?: number;
}

export interface SeenRequest {
  method: string;
  path: string;
  /** Its `x-request-id`: one origin request seen by several profiles (a relay's batch) has one id. */
  requestId: string | null;
  chaos: ChaosMode | null;
  status: number | null;
}
