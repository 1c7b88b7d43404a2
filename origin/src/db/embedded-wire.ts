/**
 * PGlite over the Postgres wire protocol, for several connections at once.
 *
 * PGlite is one backend session, so every connection shares it: its unnamed statement and portal,
 * its transaction, its error state. pglite-socket (0.2) takes turns per protocol message and
 * keeps a connection's turn only while a transaction is open, so one pooled connection's
 * `Parse`/`Bind` and another's query can interleave: `portal "" does not exist`, or one
 * connection executing the other's portal (electric-sql/pglite#1046). A throw there also stops its
 * queue for good.
 *
 * Here a connection holds the session from its first message until the backend is ready for a
 * query outside a transaction (after a `Sync` or a simple `Query`): a whole extended-protocol
 * exchange, or a whole transaction, runs without another connection's messages in between. The
 * others wait their turn, in order. A holder that goes quiet for `holdLimitMs` is disconnected,
 * as Postgres's `idle_in_transaction_session_timeout` would, and one that goes away has its
 * transaction rolled back, so no connection can stop the others for long.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;
/** A frontend message longer than this is refused (Postgres itself allows 1 GiB for one value). */
const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

const SYNC = 0x53; // 'S'
const QUERY = 0x51; // 'Q'
const TERMINATE = 0x58; // 'X'

export interface WireServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  maxConnections: number;
  /** How long a connection may hold the session without sending anything (default 60 s). */
  holdLimitMs?: number;
  /** Told about a connection cut for holding the session too long or for a protocol error. */
  onDisconnect?: (reason: string) => void;
}

export interface WireServer {
  /** host:port */
  address: string;
  stop(): Promise<void>;
}

interface Frame {
  bytes: Uint8Array;
  /** The message type, or 0 for the startup message. */
  type: number;
}

/** A 'Q' message: a simple query. */
function simpleQuery(text: string): Uint8Array {
  const body = Buffer.from(`${text}\0`, 'utf8');
  const out = Buffer.alloc(5 + body.length);
  out[0] = QUERY;
  out.writeInt32BE(4 + body.length, 1);
  body.copy(out, 5);
  return out;
}
const SYNC_MESSAGE = Uint8Array.from([SYNC, 0, 0, 0, 4]);
const ROLLBACK_MESSAGE = simpleQuery('ROLLBACK');

/** Turns on the one session: first come, first served; the holder keeps it until it lets go. */
class SessionTurns<T> {
  private holder: T | null = null;
  private readonly waiting: { who: T; go: () => void }[] = [];

  held(who: T): boolean {
    return this.holder === who;
  }

  async take(who: T): Promise<void> {
    if (this.holder === who) return;
    if (this.holder === null) {
      this.holder = who;
      return;
    }
    await new Promise<void>((go) => this.waiting.push({ who, go }));
  }

  give(who: T): void {
    if (this.holder !== who) return;
    const next = this.waiting.shift();
    this.holder = next?.who ?? null;
    next?.go();
  }

  /** Lets a connection that went away stop waiting (its `take` returns without the turn). */
  leave(who: T): void {
    const i = this.waiting.findIndex((w) => w.who === who);
    if (i >= 0) this.waiting.splice(i, 1)[0]!.go();
  }
}

/** One set of turns per database, however many servers serve it. */
const turnsOf = new WeakMap<PGlite, SessionTurns<object>>();

export async function serveWire(db: PGlite, options: WireServerOptions): Promise<WireServer> {
  const holdLimitMs = options.holdLimitMs ?? 60_000;
  const turns = turnsOf.get(db) ?? new SessionTurns<object>();
  turnsOf.set(db, turns);
  const connections = new Set<Connection>();

  /** Runs protocol bytes on the session; the caller holds its turn. */
  const run = (bytes: Uint8Array, onData: (chunk: Uint8Array) => void) =>
    db.runExclusive(() => db.execProtocolRawStream(bytes, { onRawData: onData }));
  /**
   * Leaves the session as a new connection expects it: ends any unfinished exchange (a Sync
   * outside one only answers ReadyForQuery), then rolls back any transaction. In one exclusive
   * run, after the message in flight and before the next holder's.
   */
  const reset = () =>
    db.runExclusive(async () => {
      const ignore = { onRawData: () => {} };
      await db.execProtocolRawStream(SYNC_MESSAGE, ignore);
      if (db.isInTransaction()) await db.execProtocolRawStream(ROLLBACK_MESSAGE, ignore);
    });

  class Connection {
    private buffer: Buffer = Buffer.alloc(0);
    private started = false;
    private readonly frames: Frame[] = [];
    private pumping = false;
    private closed = false;
    private holdTimer: NodeJS.Timeout | undefined;

    constructor(private readonly socket: Socket) {
      socket.setNoDelay(true);
      socket.on('data', (chunk: Buffer) => this.receive(chunk));
      socket.on('error', () => void this.close());
      socket.on('close', () => void this.close());
    }

    private receive(chunk: Buffer): void {
      if (this.closed) return;
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      try {
        this.split();
      } catch (err) {
        options.onDisconnect?.(`protocol error: ${(err as Error).message}`);
        void this.close();
        return;
      }
      void this.pump();
    }

    /** Cuts complete messages off the buffer; answers SSL and GSS requests itself. */
    private split(): void {
      for (;;) {
        if (!this.started) {
          if (this.buffer.length < 8) return;
          const length = this.buffer.readInt32BE(0);
          const code = this.buffer.readInt32BE(4);
          if (length === 8 && (code === SSL_REQUEST || code === GSSENC_REQUEST)) {
            this.socket.write('N');
            this.buffer = this.buffer.subarray(8);
            continue;
          }
          if (length === 16 && code === CANCEL_REQUEST) throw new Error('cancel requests are not supported');
          if (code !== PROTOCOL_3 || length < 8 || length > 10_000) throw new Error('not a protocol 3.0 startup');
          if (this.buffer.length < length) return;
          this.frames.push({ bytes: this.buffer.subarray(0, length), type: 0 });
          this.buffer = this.buffer.subarray(length);
          this.started = true;
          continue;
        }
        if (this.buffer.length < 5) return;
        const length = this.buffer.readInt32BE(1);
        if (length < 4 || length > MAX_MESSAGE_BYTES) throw new Error(`message length ${length}`);
        if (this.buffer.length < 1 + length) return;
        this.frames.push({ bytes: this.buffer.subarray(0, 1 + length), type: this.buffer[0]! });
        this.buffer = this.buffer.subarray(1 + length);
      }
    }

    /** Runs the queued messages in order, each in this connection's turn. */
    private async pump(): Promise<void> {
      if (this.pumping) return;
      this.pumping = true;
      this.stopHoldTimer();
      try {
        while (!this.closed && this.frames.length > 0) {
          const frame = this.frames.shift()!;
          if (frame.type === TERMINATE) {
            await this.close();
            return;
          }
          await turns.take(this);
          if (this.closed) break;
          await run(frame.bytes, (chunk) => {
            if (!this.socket.destroyed) this.socket.write(chunk);
          });
          // The end of an exchange (Sync, Query or the startup message) outside a transaction.
          const boundary = frame.type === 0 || frame.type === SYNC || frame.type === QUERY;
          if (boundary && !this.closed && !db.isInTransaction()) turns.give(this);
        }
      } catch (err) {
        options.onDisconnect?.(`session error: ${(err as Error).message}`);
        await this.close();
      } finally {
        this.pumping = false;
      }
      if (!this.closed && turns.held(this)) this.startHoldTimer();
    }

    private startHoldTimer(): void {
      this.holdTimer = setTimeout(() => {
        options.onDisconnect?.(`held the session for ${holdLimitMs} ms without a message`);
        void this.close();
      }, holdLimitMs);
      this.holdTimer.unref();
    }

    private stopHoldTimer(): void {
      if (this.holdTimer) clearTimeout(this.holdTimer);
      this.holdTimer = undefined;
    }

    /** Ends the connection; if it held the session, leaves it as a new connection expects. */
    async close(): Promise<void> {
      if (this.closed) return;
      this.closed = true;
      this.stopHoldTimer();
      this.frames.length = 0;
      connections.delete(this);
      this.socket.destroy();
      turns.leave(this);
      if (!turns.held(this)) return;
      try {
        await reset();
      } catch {
        // The session is closing or broken; the next connection's first query will say so.
      } finally {
        turns.give(this);
      }
    }
  }

  const server = createServer((socket) => {
    const connection = new Connection(socket);
    connections.add(connection);
  });
  server.maxConnections = options.maxConnections;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    address: `${address}:${port}`,
    async stop() {
      const closing = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...connections].map((c) => c.close()));
      await closing;
    },
  };
}
