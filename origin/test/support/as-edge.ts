/** Calls an origin app the way the edge does: a service credential bound to the request. */
import { signServiceToken } from '../../../core/tokens.ts';
import type { TestOrigin } from './origin.ts';

export interface EdgeCall {
  method?: string;
  path: string;
  body?: unknown;
  rawBody?: string;
  contentType?: string;
  sub?: string;
  pid?: string;
  mat?: number;
  /** The session the caller's user token named. */
  sid?: string;
  /** Mint the credential for a different method/path than the one called. */
  credentialFor?: { method: string; path: string };
  secret?: string;
  now?: number;
  /** Mint the credential for other body bytes than the ones sent. */
  credentialBody?: string;
  noCredential?: boolean;
}

export async function asEdge(origin: TestOrigin, secret: string, call: EdgeCall): Promise<Response> {
  const method = call.method ?? 'GET';
  const headers = new Headers();
  let body: string | undefined;
  if (call.rawBody !== undefined) body = call.rawBody;
  else if (call.body !== undefined) body = JSON.stringify(call.body);
  if (!call.noCredential) {
    const token = await signServiceToken(
      {
        htm: call.credentialFor?.method ?? method,
        htu: call.credentialFor?.path ?? call.path,
        rid: 'test-request-0001',
        ...(call.sub ? { sub: call.sub } : {}),
        ...(call.pid ? { pid: call.pid } : {}),
        ...(call.mat !== undefined ? { mat: call.mat } : {}),
        ...(call.sid ? { sid: call.sid } : {}),
      },
      call.secret ?? secret,
      { body: call.credentialBody ?? body, now: call.now },
    );
    headers.set('authorization', `Bearer ${token}`);
  }
  if (body !== undefined) headers.set('content-type', call.contentType ?? 'application/json');
  return origin.app.request(call.path, { method, headers, ...(body !== undefined ? { body } : {}) });
}
