/** The origin's structured logs: core's logger, every level on stdout as one JSON object per line. */
import { createLogger as createCoreLogger, type LogLevel, type Logger } from '../../core/log.ts';

export { silentLogger, type Logger } from '../../core/log.ts';

// Every level on stdout (core's console sink sends warnings and errors to stderr): one stream, in order.
const stdout = (line: string): void => void process.stdout.write(line + '\n');

/** A logger for `service` that drops lines below `level`. */
export function createLogger(service: string, level: LogLevel = 'info'): Logger {
  return createCoreLogger(service, level, stdout);
}
