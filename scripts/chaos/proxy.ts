/**
 * A loopback HTTP proxy between the edge and the origin that can delay and drop traffic, and
 * counts how each flush ended as the edge saw it. Dropping comes in two kinds: before the origin
 * sees the request (a reset the edge may retry safely), and after the origin answered (the origin
 * did the work, the edge never hears of it: the case that makes duplicates).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxyFaults {
  /** Milliseconds to hold a request before forwarding it (0: none). */
  delayMs(): number;
  /** Fraction of requests reset before they reach the origin. */
  dropBefore: number;
  /** Fraction of requests whose answer is thrown away after the origin gave it. */
  dropAfter: number;
}

export const NO_FAULTS: ProxyFaults = { delayMs: () => 0, dropBefore: 0, dropAfter: 0 };

export interface ChaosProxy {
  url: string;
  faults: ProxyFaults;
  /**
   * Flush requests by outcome: the status passed on, `reset`, `dropped_before`, `dropped_after`,
   * `edge_gave_up`. Buffers flush through flush relays, so one request may carry many profiles' flushes.
   */
  readonly flushes: Record<string, number>;
  readonly other: Record<string, number>;
  /** Flush requests forwarded to the origin and not answered yet. */
  flushesInFlight(): number;
  close(): Promise<void>;
}

/** A buffer's own flush route and its relay's, which carries many buffers' flushes. */
const FLUSH_PATHS = new Set(['/internal/v1/progress/flush', '/internal/v1/progress/flush-batch']);

export async function startProxy(target: string, random: () => number = Math.random): Promise<ChaosProxy> {
  const to = new URL(target);
  if (!['127.0.0.1', 'localhost'].includes(to.hostname) && !to.hostname.startsWith('127.')) {
    throw new Error(`the chaos proxy only forwards to loopback, not ${to.hostname}`);
  }
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const flushes: Record<string, number> = {};
  const other: Record<string, number> = {};
  let inFlight = 0;
  const proxy: ChaosProxy = {
    url: '',
    faults: NO_FAULTS,
    flushes,
    other,
    flushesInFlight: () => inFlight,
    close: async () => {
      agent.destroy();
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
    },
  };
  const server = http.createServer((req, res) => {
    const isFlush = FLUSH_PATHS.has(req.url ?? '');
    const counts = isFlush ? flushes : other;
    let settled = false;
    const count = (outcome: string) => {
      if (settled) return;
      settled = true;
      counts[outcome] = (counts[outcome] ?? 0) + 1;
    };
    const faults = proxy.faults;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const forward = () => {
        if (req.socket.destroyed) return count('edge_gave_up');
        if (random() < faults.dropBefore) {
          count('dropped_before');
          return req.socket.destroy();
        }
        if (isFlush) inFlight += 1;
        let answered = false;
        const done = () => {
          if (isFlush && !answered) inFlight -= 1;
          answered = true;
        };
        const upstream = http.request(
          {
            host: to.hostname,
            port: to.port,
            method: req.method,
            path: req.url,
            headers: { ...req.headers, host: to.host },
            agent,
          },
          (answer) => {
            const body: Buffer[] = [];
            answer.on('data', (c: Buffer) => body.push(c));
            answer.on('error', () => {
              done();
              count('reset');
              req.socket.destroy();
            });
            answer.on('end', () => {
              done();
              if (random() < faults.dropAfter) {
                count('dropped_after');
                return req.socket.destroy();
              }
              if (req.socket.destroyed) return count('edge_gave_up');
              count(String(answer.statusCode ?? 0));
              res.writeHead(answer.statusCode ?? 502, answer.headers);
              res.end(Buffer.concat(body));
            });
          },
        );
        upstream.on('error', () => {
          done();
          // As without the proxy: the edge sees the connection fail, not an answer.
          count('reset');
          req.socket.destroy();
        });
        upstream.end(Buffer.concat(chunks));
      };
      const delay = faults.delayMs();
      if (delay > 0) setTimeout(forward, delay);
      else forward();
    });
    req.on('error', () => count('edge_gave_up'));
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
