import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLogger, redact, type LogLevel } from './log.ts';

function capture(level: LogLevel = 'debug') {
  const lines: { line: string; level: LogLevel }[] = [];
  const log = createLogger('test', level, (line, lvl) => lines.push({ line, level: lvl }));
  return { log, lines, parsed: () => lines.map((l) => JSON.parse(l.line) as Record<string, unknown>) };
}

const JWT =
  'eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJhY2NvdW50IiwicGlkIjoicHJvZmlsZSJ9.c2lnbmF0dXJlLWJ5dGVzLWhlcmU';

describe('structured logs', () => {
  it('writes the seed\u2019s LogEntry fields on one JSON line, ids at the top and the rest under metadata', () => {
    const { log, parsed } = capture();
    log.info('http_request', { requestId: 'rid-12345678', profileId: 'p1', route: '/v1/home', status: 200 });
    expect(parsed()).toEqual([
      {
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        level: 'info',
        service: 'test',
        requestId: 'rid-12345678',
        profileId: 'p1',
        event: 'http_request',
        metadata: { route: '/v1/home', status: 200 },
      },
    ]);
  });

  it('drops lines below the configured level and hands the level to the sink', () => {
    const { log, lines } = capture('warn');
    log.debug('a');
    log.info('b');
    log.warn('c');
    log.error('d');
    expect(lines.map((l) => l.level)).toEqual(['warn', 'error']);
  });

  it('redacts values under secret-looking keys, at any depth', () => {
    expect(
      redact({ password: 'hunter2', nested: { authorization: 'Bearer x', list: [{ serviceSecret: 's' }] }, ok: 1 }),
    ).toEqual({
      password: '[redacted]',
      nested: { authorization: '[redacted]', list: [{ serviceSecret: '[redacted]' }] },
      ok: 1,
    });
  });

  it('redacts JWTs and bearer credentials inside any string, including error messages', () => {
    const { log, lines } = capture();
    log.error('request_failed', {
      requestId: 'rid-12345678',
      error: new Error(`upstream refused token ${JWT}`),
      detail: `header was Bearer ${JWT.slice(0, 20)}`,
      url: `https://edge.test/v1/media/x/init.mp4?token=${JWT}`,
    });
    const text = lines.map((l) => l.line).join('\n');
    expect(text).not.toContain(JWT);
    expect(text).not.toContain(JWT.slice(0, 20));
    expect(text).toContain('[redacted-jwt]');
  });

  it('never lets a JWT-shaped string through, whatever surrounds it (property)', () => {
    const b64url = fc.stringMatching(/^[A-Za-z0-9_-]{8,40}$/);
    fc.assert(
      fc.property(fc.string(), b64url, b64url, b64url, fc.string(), (before, h, p, s, after) => {
        const token = `eyJ${h}.${p}.${s}`;
        const out = JSON.stringify(redact({ message: `${before}${token}${after}` }));
        expect(out).not.toContain(`${h}.${p}.${s}`);
      }),
    );
  });
});
