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
  chaos: ChaosMode | null;
  status: number | null;
}
