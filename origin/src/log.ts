/** The origin's structured logs: core's logger writing one JSON object per line to stdout. */
import { createLogger as createCoreLogger, type LogLevel, type Logger } from '../../core/log.ts';

export { redact, silentLogger, type LogFields, type LogLevel, type Logger } from '../../core/log.ts';

export function createLogger(
  service: string,
  level: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stdout.write(line + '\n'),
): Logger {
  return createCoreLogger(service, level, (line) => write(line));
}
