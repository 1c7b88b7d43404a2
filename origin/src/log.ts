/**
 * Structured JSON logs, one object per line: timestamp, level, service, requestId, profileId,
 * event, metadata (the seed's LogEntry). Values under keys that look secret are redacted.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEY = /pass(word)?|secret|token|authorization|cookie|jwk|credential/i;

export interface LogFields {
  requestId?: string;
  profileId?: string;
  [key: string]: unknown;
}

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

/** Replaces values under secret-looking keys, recursively. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1)]),
  );
}

export function createLogger(
  service: string,
  level: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stdout.write(line + '\n'),
): Logger {
  const emit = (lvl: LogLevel, event: string, fields: LogFields = {}) => {
    if (ORDER[lvl] < ORDER[level]) return;
    const { requestId, profileId, ...metadata } = fields;
    write(
      JSON.stringify({
        timestamp: new Date().toISOString(),
        level: lvl,
        service,
        requestId,
        profileId,
        event,
        metadata: redact(metadata),
      }),
    );
  };
  return {
    debug: (e, f) => emit('debug', e, f),
    info: (e, f) => emit('info', e, f),
    warn: (e, f) => emit('warn', e, f),
    error: (e, f) => emit('error', e, f),
  };
}

/** A logger that drops everything (tests that assert on other things). */
export const silentLogger: Logger = createLogger('silent', 'error', () => {});
