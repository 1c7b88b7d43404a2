/**
 * Stream limits: see stream-slot.ts. TEMPORARY placeholder with the agreed signature so the licence
 * route compiles: it admits every request and holds no lease. The concurrent-stream work replaces
 * this file with the real per-account slot check (409 `too_many_streams` / `stream_ended`).
 */
import type { Identity } from '../../../core/tokens.ts';

/** Resolves when `identity`'s account holds a stream slot for `titleId`; throws a 409 HttpError when it has none. */
export async function requireStreamSlot(_env: Env, _identity: Identity, _titleId: string): Promise<void> {}
