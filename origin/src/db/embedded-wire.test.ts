/**
 * The embedded server's connections taking turns on PGlite's one session: raw protocol clients
 * for the orderings a pool makes by chance, and pooled postgres.js clients for the rest.
 */
import { connect, type Socket } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import fc from 'fast-check';
import postgres from 'postgres';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { serveWire, type WireServer } from './embedded-wire.ts';

interface Message {
  type: string;
  body: Buffer;
}

const cstr = (s: string) => Buffer.from(`${s}\0`, 'utf8');
const message = (type: string, ...parts: Buffer[]) => {
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
};
const int16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const parse = (sql: string) => message('P', cstr(''), cstr(sql), int16(0));
const bind = () => message('B', cstr(''), cstr(''), int16(0), int16(0), int16(0));
const execute = () => message('E', cstr(''), int32(0));
const flush = () => message('H');
const sync = () => message('S');
const query = (sql: string) => message('Q', cstr(sql));

/** A frontend speaking the protocol by hand, to put messages exactly where a test wants them. */
class RawClient {
  private buffer = Buffer.alloc(0);
  private readonly messages: Message[] = [];
  private wake: (() => void) | null = null;
  closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      while (this.buffer.length >= 5 && this.buffer.length >= 1 + this.buffer.readInt32BE(1)) {
        const length = this.buffer.readInt32BE(1);
        this.messages.push({ type: String.fromCharCode(this.buffer[0]!), body: this.buffer.subarray(5, 1 + length) });
        this.buffer = this.buffer.subarray(1 + length);
      }
      this.wake?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
  }

  static async open(address: string): Promise<RawClient> {
    const [host, port] = address.split(':');
    const socket = connect(Number(port), host);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const client = new RawClient(socket);
    const params = Buffer.concat([cstr('user'), cstr('postgres'), cstr('database'), cstr('postgres'), cstr('')]);
    socket.write(Buffer.concat([int32(8 + params.length), int32(196608), params]));
    await client.until('Z');
    return client;
  }

  send(...messages: Buffer[]): void {
    this.socket.write(Buffer.concat(messages));
  }

  /** What has arrived so far and not been read. */
  received(): Message[] {
    return this.messages.splice(0);
  }

  /** Reads messages up to and including the first of `type`. */
  async until(type: string): Promise<Message[]> {
    const read: Message[] = [];
    for (;;) {
      while (this.messages.length > 0) {
        const next = this.messages.shift()!;
        read.push(next);
        if (next.type === type) return read;
      }
      if (this.closed) throw new Error(`connection closed before '${type}'`);
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** The text of each DataRow's first column, and each ErrorResponse's message. */
const rows = (ms: Message[]) =>
  ms.filter((m) => m.type === 'D').map((m) => m.body.subarray(6, 6 + m.body.readInt32BE(2)).toString('utf8'));
const errors = (ms: Message[]) =>
  ms
    .filter((m) => m.type === 'E')
    .map((m) => {
      const field = m.body
        .toString('utf8')
        .split('\0')
        .find((f) => f.startsWith('M'));
      return field?.slice(1) ?? 'error';
    });

describe('the embedded wire server', () => {
  let db: PGlite;
  let server: WireServer;
  const cut: string[] = [];

  beforeAll(async () => {
    db = await PGlite.create();
    await db.exec('CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL)');
    server = await serveWire(db, {
      host: '127.0.0.1',
      port: 0,
      maxConnections: 32,
      onDisconnect: (reason) => cut.push(reason),
    });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await db?.close();
  });

  beforeEach(async () => {
    await db.exec('DELETE FROM t');
    cut.length = 0;
  });

  it("keeps another connection's query out of an unfinished Parse/Bind/Execute exchange", async () => {
    const a = await RawClient.open(server.address);
    const b = await RawClient.open(server.address);
    a.send(parse('SELECT 1 AS a'), bind(), flush());
    await a.until('2'); // BindComplete: A's unnamed portal exists
    b.send(query('SELECT 2 AS b'));
    a.send(execute(), sync());
    const fromA = await a.until('Z');
    const fromB = await b.until('Z');
    expect(errors(fromA)).toEqual([]);
    expect(rows(fromA)).toEqual(['1']);
    expect(errors(fromB)).toEqual([]);
    expect(rows(fromB)).toEqual(['2']);
    a.destroy();
    b.destroy();
  });

  it("runs another connection's statements after a transaction commits, never inside it", async () => {
    const a = await RawClient.open(server.address);
    const b = await RawClient.open(server.address);
    a.send(query('BEGIN'));
    await a.until('Z');
    a.send(query('INSERT INTO t VALUES (1, 1)'));
    await a.until('Z');
    // Inside A's transaction this insert would be rolled back with it.
    b.send(query('INSERT INTO t VALUES (2, 2)'));
    a.send(query('ROLLBACK'));
    await a.until('Z');
    expect(errors(await b.until('Z'))).toEqual([]);
    expect((await db.query<{ id: number }>('SELECT id FROM t ORDER BY id')).rows.map((r) => r.id)).toEqual([2]);
    a.destroy();
    b.destroy();
  });

  it('rolls back the transaction of a connection that goes away, and lets the next one in', async () => {
    const a = await RawClient.open(server.address);
    const b = await RawClient.open(server.address);
    a.send(query('BEGIN'), query('INSERT INTO t VALUES (1, 1)'));
    await a.until('Z');
    await a.until('Z');
    b.send(query('SELECT count(*) FROM t'));
    a.destroy();
    const fromB = await b.until('Z');
    expect(errors(fromB)).toEqual([]);
    expect(rows(fromB)).toEqual(['0']);
    expect(db.isInTransaction()).toBe(false);
    b.destroy();
  });

  it('ends an unfinished exchange of a connection that goes away, so the next query is answered', async () => {
    const a = await RawClient.open(server.address);
    const b = await RawClient.open(server.address);
    // A statement that fails leaves the session skipping messages until a Sync.
    a.send(parse('SELECT * FROM no_such_table'), flush());
    await a.until('E');
    b.send(query('SELECT 3'));
    a.destroy();
    const fromB = await b.until('Z');
    expect(errors(fromB)).toEqual([]);
    expect(rows(fromB)).toEqual(['3']);
    b.destroy();
  });

  it('cuts a connection that holds a transaction open without a word, so others are not stopped', async () => {
    // Its own server with a short limit: the shared one's 60 s keeps a slow machine's pauses safe.
    const strict = await serveWire(db, {
      host: '127.0.0.1',
      port: 0,
      maxConnections: 4,
      holdLimitMs: 200,
      onDisconnect: (reason) => cut.push(reason),
    });
    try {
      const a = await RawClient.open(strict.address);
      const b = await RawClient.open(strict.address);
      a.send(query('BEGIN'), query('INSERT INTO t VALUES (1, 1)'));
      await a.until('Z');
      await a.until('Z');
      b.send(query('SELECT count(*) FROM t'));
      const fromB = await b.until('Z');
      expect(rows(fromB)).toEqual(['0']);
      expect(cut).toEqual(['held the session for 200 ms without a message']);
      await expect(a.until('never')).rejects.toThrow('connection closed');
      b.destroy();
    } finally {
      await strict.stop();
    }
  });

  it('closes a connection that does not speak the protocol, and serves the others', async () => {
    const [host, port] = server.address.split(':');
    const junk = connect(Number(port), host);
    await new Promise<void>((resolve) => junk.once('connect', resolve));
    junk.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await new Promise<void>((resolve) => junk.once('close', resolve));
    expect(cut[0]).toMatch(/^protocol error/);
    const b = await RawClient.open(server.address);
    b.send(query('SELECT 4'));
    expect(rows(await b.until('Z'))).toEqual(['4']);
    b.destroy();
  });

  it('gives every pooled query its own answer and every transaction its own outcome, across two pools', async () => {
    type Op = { kind: 'select' } | { kind: 'commit'; rows: number } | { kind: 'rollback' } | { kind: 'fail' };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.constant<Op>({ kind: 'select' }),
      fc.integer({ min: 1, max: 3 }).map<Op>((n) => ({ kind: 'commit', rows: n })),
      fc.constant<Op>({ kind: 'rollback' }),
      fc.constant<Op>({ kind: 'fail' }),
    );
    const url = `postgres://postgres:postgres@${server.address}/postgres`;
    // As `npm start` has them: the origin's pool, and media preparation's own connection.
    const pools = [postgres(url, { max: 4, onnotice: () => {} }), postgres(url, { max: 2, onnotice: () => {} })];
    let next = 0;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 10, maxLength: 60 }), async (ops) => {
          await pools[0]!`DELETE FROM t`;
          const committed: number[] = [];
          const wrong: string[] = [];
          await Promise.all(
            ops.map(async (o, i) => {
              const sql = pools[i % 2]!;
              const base = ++next * 10;
              if (o.kind === 'select') {
                const [r] = await sql<{ v: number }[]>`SELECT ${base}::int AS v`;
                if (r?.v !== base) wrong.push(`select ${base} got ${r?.v}`);
                return;
              }
              const ids = Array.from({ length: o.kind === 'commit' ? o.rows : 2 }, (_, k) => base + k);
              const outcome = sql.begin(async (tx) => {
                for (const id of ids) await tx`INSERT INTO t VALUES (${id}, ${id})`;
                const [r] = await tx<
                  { n: number }[]
                >`SELECT count(*)::int AS n FROM t WHERE id >= ${base} AND id < ${base + 10}`;
                if (r?.n !== ids.length) wrong.push(`transaction ${base} saw ${r?.n} of its ${ids.length} rows`);
                if (o.kind === 'rollback') throw new Error('rollback');
                if (o.kind === 'fail') await tx`SELECT * FROM no_such_table`;
              });
              if (o.kind === 'commit') {
                await outcome;
                committed.push(...ids);
              } else {
                await expect(outcome).rejects.toThrow();
              }
            }),
          );
          const stored = (await pools[1]!<{ id: number }[]>`SELECT id FROM t ORDER BY id`).map((r) => r.id);
          expect(wrong).toEqual([]);
          expect(stored).toEqual(committed.sort((x, y) => x - y));
        }),
        { numRuns: 15 },
      );
    } finally {
      await Promise.all(pools.map((p) => p.end({ timeout: 5 })));
    }
  });
});
