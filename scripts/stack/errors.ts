/**
 * A failure whose message is already written for a human; the CLI prints it without a
 * stack trace, because the trace would only point at this tooling, not at the cause.
 */
export class StackError extends Error {
  override name = 'StackError';
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
