/** Structured log lines of the progress buffer: one JSON object per line, never a token or a body. */

export type LogLevel = 'info' | 'warn' | 'error';

export function logEvent(
  level: LogLevel,
  profileId: string | undefined,
  event: string,
  metadata: Record<string, unknown> = {},
): void {
  const line = JSON.stringify({
    timestamp: new Date().toISOString(),
    level,
    service: 'progress-buffer',
    profileId: profileId ?? null,
    event,
    metadata,
  });
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  // eslint-disable-next-line no-console -- informational lines go to the Workers log stream as console.log
  else console.log(line);
}
