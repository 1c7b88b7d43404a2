/**
 * A pass-through HTTP proxy in front of the test origin that can be told to fail: the edge tests
 * point the worker's ORIGIN_URL at it and arm failures over `POST /__chaos`, scoped to one
 * profile (the credential's `pid`) and a path prefix so parallel tests do not trip each other.
 *
 *   POST   /__chaos  {"mode","failNext","pid"?,"path"?,"status"?,"delayMs"?}   arm a rule
 *   DELETE /__chaos?pid=…                                            disarm (a profile's, or all)
 *   GET    /__chaos/requests?pid=…                                   what the proxy saw for a profile
 *   GET    /__chaos/count?path=…                                     how many requests it forwarded
 *                                                                    under a path prefix, whoever sent them
 *
 * Modes: `status` answers `status` (503 by default) without forwarding; `reset` drops the
 * connection without forwarding; `delay` waits `delayMs`, then forwards; `lost-ack` forwards, lets
 * the origin finish, then drops the connection (the origin did the work, the caller never hears of
 * it); `fake-ack` answers a flush with "all acknowledged" without forwarding (an origin that
 * accepts anything, for filling a buffer with flushed titles the catalog does not have).
 *
 * A flush relay's batch (`/internal/v1/progress/flush-batch`) names no profile in its credential:
 * its profiles are those of its parts, and a rule armed for any of them applies to the whole
 * request, as a failing origin would fail it; the request is logged for each of them. `fake-ack`
 * acknowledges only the parts of the rule's profile and answers the others `unavailable`, so their
 * buffers retry them rather than believe them written.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FLUSH_BATCH_PATH } from '../../core/progress.ts';
import type { ChaosRule, SeenRequest } from './chaos-rules.ts';

const CONTROL = '/__chaos';
const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

interface BatchPart {
  batchId: string;
  profileId: string;
  entries: unknown[];
}

/** The parts of a flush batch, or none for any other request. */
function batchParts(path: string, body: Buffer): BatchPart[] {
  if (path !== FLUSH_BATCH_PATH) return [];
  try {
    const { parts } = JSON.parse(body.toString('utf8')) as { parts?: unknown };
    return Array.isArray(parts) ? (parts as BatchPart[]) : [];
  } catch {
    return [];
  }
}

function pidOf(authorization: string | undefined): string | undefined {
  const payload = authorization?.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { pid?: unknown };
    return typeof claims.pid === 'string' ? claims.pid : undefined;
  } catch {
    return undefined;
  }
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const piece of req) chunks.push(piece as Buffer);
  return Buffer.concat(chunks);
}

export async function startChaosProxy(target: string): Promise<{ url: string; close(): Promise<void> }> {
  let rules: ChaosRule[] = [];
  const seen = new Map<string, SeenRequest[]>();
  // By exact path, for calls no profile is named on (a playback source, a media playlist's lookups).
  const perPath = new Map<string, number>();

  function take(pids: string[], path: string): ChaosRule | undefined {
    const rule = rules.find(
      (r) =>
        r.failNext > 0 &&
        (r.pid === undefined || pids.includes(r.pid)) &&
        (r.path === undefined || path.startsWith(r.path)),
    );
    if (rule) rule.failNext -= 1;
    rules = rules.filter((r) => r.failNext > 0);
    return rule;
  }

  async function control(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const reply = (status: number, body?: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    if (req.method === 'POST' && url.pathname === CONTROL) {
      const rule = JSON.parse((await readBody(req)).toString('utf8')) as ChaosRule;
      rules.push({ ...rule });
      return reply(204);
    }
    if (req.method === 'DELETE' && url.pathname === CONTROL) {
      const pid = url.searchParams.get('pid');
      rules = pid ? rules.filter((r) => r.pid !== pid) : [];
      return reply(204);
    }
    if (req.method === 'GET' && url.pathname === `${CONTROL}/requests`) {
      return reply(200, { requests: seen.get(url.searchParams.get('pid') ?? '') ?? [] });
    }
    if (req.method === 'GET' && url.pathname === `${CONTROL}/count`) {
      const prefix = url.searchParams.get('path') ?? '';
      let count = 0;
      for (const [path, n] of perPath) if (path.startsWith(prefix)) count += n;
      return reply(200, { count });
    }
    return reply(404, { error: 'unknown chaos control' });
  }

  async function forward(req: http.IncomingMessage, body: Buffer): Promise<Response> {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined || HOP_BY_HOP.has(name)) continue;
      headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD' && body.length > 0;
    return fetch(new URL(req.url ?? '/', target), {
      method: req.method ?? 'GET',
      headers,
      ...(hasBody ? { body } : {}),
    });
  }

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://proxy');
      if (url.pathname.startsWith(CONTROL)) return control(req, res, url);
      const body = await readBody(req);
      const parts = batchParts(url.pathname, body);
      const credentialPid = pidOf(req.headers.authorization);
      const pids = [...(credentialPid ? [credentialPid] : []), ...parts.map((p) => p.profileId)];
      perPath.set(url.pathname, (perPath.get(url.pathname) ?? 0) + 1);
      const rule = take(pids, url.pathname);
      const requestId = req.headers['x-request-id'];
      const entry: SeenRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        requestId: typeof requestId === 'string' ? requestId : null,
        chaos: rule?.mode ?? null,
        status: null,
      };
      for (const pid of pids) seen.set(pid, [...(seen.get(pid) ?? []), entry].slice(-500));
      if (rule?.mode === 'status') {
        const status = rule.status ?? 503;
        entry.status = status;
        res.writeHead(status, { 'content-type': 'application/problem+json', 'retry-after': '1' });
        res.end(JSON.stringify({ status, code: 'chaos', detail: 'chaos proxy' }));
        return;
      }
      if (rule?.mode === 'fake-ack') {
        const faked =
          url.pathname === FLUSH_BATCH_PATH
            ? {
                results: parts.map((p) =>
                  rule.pid === undefined || p.profileId === rule.pid
                    ? { batchId: p.batchId, acknowledged: p.entries.length, dropped: [] }
                    : { batchId: p.batchId, error: 'unavailable', detail: 'chaos proxy' },
                ),
              }
            : {
                acknowledged: (JSON.parse(body.toString('utf8')) as { entries: unknown[] }).entries.length,
                dropped: [],
              };
        entry.status = 200;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(faked));
        return;
      }
      if (rule?.mode === 'reset') return void req.socket.destroy();
      if (rule?.mode === 'delay') await new Promise((resolve) => setTimeout(resolve, rule.delayMs ?? 1000));
      const upstream = await forward(req, body);
      const payload = Buffer.from(await upstream.arrayBuffer());
      entry.status = upstream.status;
      if (rule?.mode === 'lost-ack') return void req.socket.destroy();
      const headers: Record<string, string> = {};
      upstream.headers.forEach((value, name) => {
        if (!HOP_BY_HOP.has(name) && name !== 'content-encoding') headers[name] = value;
      });
      res.writeHead(upstream.status, headers);
      res.end(payload);
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`chaos proxy: ${err instanceof Error ? err.message : String(err)}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
