/** Structured log lines of the progress buffer (core's logger): never a token or a body. */
import { createLogger } from '../../../core/log.ts';

export const log = createLogger('progress-buffer');
