/**
 * Structured JSON logs, one object per line, the same at the edge, the progress buffer and the
 * origin: timestamp, level, service, requestId, profileId, event, metadata (the seed's LogEntry).
 * Values under keys that look secret are redacted, and so is anything shaped like a JWT or a
 * bearer credential wherever it appears, so a token pasted into an error message is not logged.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEY = /pass(word)?|secret|token|authorization|cookie|jwk|credential|signature|private/i;
/** Three base64url segments, the first of them a JSON header (`eyJ`): a JWS/JWT. */
const JWT = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;

export interface LogFields {
  requestId?: string | undefined;
  profileId?: string | undefined;
  [key: string]: unknown;
}

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

/** Where lines go: stdout on Node; the console (the Workers log stream) at the edge. */
export type LogSink = (line: string, level: LogLevel) => void;

export const consoleSink: LogSink = (line, level) => {
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  // eslint-disable-next-line no-console -- informational lines go to the log stream as console.log
  else console.log(line);
};

function scrub(text: string): string {
  return text.replace(JWT, '[redacted-jwt]').replace(BEARER, '$1 [redacted]');
}

/** Replaces values under secret-looking keys and credential-shaped strings, recursively. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrub(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: scrub(value.message) };
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1)]),
  );
}

export function createLogger(service: string, level: LogLevel = 'info', write: LogSink = consoleSink): Logger {
  const emit = (lvl: LogLevel, event: string, fields: LogFields = {}) => {
    if (ORDER[lvl] < ORDER[level]) return;
    const { requestId, profileId, ...metadata } = fields;
    write(
      JSON.stringify({
        timestamp: new Date().toISOString(),
        level: lvl,
        service,
        requestId: requestId ?? null,
        profileId: profileId ?? null,
        event,
        metadata: redact(metadata),
      }),
      lvl,
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

/** The message of anything thrown, for a log's metadata. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
