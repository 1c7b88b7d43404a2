import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { countErrors, errorReport } from './logs.ts';

const line = (level: string, event: string, error?: unknown) =>
  JSON.stringify({ timestamp: '2026-12-02T00:00:00Z', level, service: 'edge', event, metadata: { error } });

describe('the chaos report on logged errors', () => {
  it('counts error-level JSON lines by service, event and error, past prefixes and non-JSON lines', () => {
    const text = [
      line('error', 'request_failed', 'TypeError: x is undefined'),
      `[wrangler:info] ${line('error', 'request_failed', 'TypeError: x is undefined')}`,
      line('warn', 'request_failed', 'origin down'),
      'GET /v1/progress 500 Internal Server Error (12ms)',
      '{ not json',
      line('error', 'flush_failed', { kind: 'origin' }),
    ].join('\n');
    expect([...countErrors(text)]).toEqual([
      ['edge request_failed: TypeError: x is undefined', 2],
      ['edge flush_failed: {"kind":"origin"}', 1],
    ]);
  });

  it('says none when nothing was logged at error, and lists the most frequent kinds otherwise', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'chaos-logs-'));
    try {
      const quiet = path.join(dir, 'quiet.log');
      const loud = path.join(dir, 'loud.log');
      await writeFile(quiet, `${line('info', 'started')}\n`);
      await writeFile(loud, [1, 2, 3].map((i) => line('error', `e${i}`, 'x'.repeat(i))).join('\n') + '\n');
      expect(await errorReport([quiet, path.join(dir, 'missing.log')])).toEqual({
        total: 0,
        lines: ['errors logged: none'],
      });
      const report = await errorReport([quiet, loud], 2);
      expect(report.total).toBe(3);
      expect(report.lines).toEqual([
        'errors logged: 3',
        '  1 × edge e1: x',
        '  1 × edge e2: xx',
        '  … and 1 other kinds',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
