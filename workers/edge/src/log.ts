/**
 * The edge's structured logs (core's logger on the Workers log stream), at the level `LOG_LEVEL`
 * names: one logger per level per isolate.
 */
import { createLogger, type LogLevel, type Logger } from '../../../core/log.ts';

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
const loggers = new Map<LogLevel, Logger>();

export function edgeLogger(env: Pick<Env, 'LOG_LEVEL'>): Logger {
  const wanted = env.LOG_LEVEL as LogLevel;
  const level = LEVELS.includes(wanted) ? wanted : 'info';
  let logger = loggers.get(level);
  if (!logger) {
    logger = createLogger('edge', level);
    loggers.set(level, logger);
  }
  return logger;
}
