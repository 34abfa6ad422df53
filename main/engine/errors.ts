/**
 * An error meant for a person: the message says what went wrong, which input caused it and what to do.
 * `code` is stable for scripts and tests; `details` carries file/line/column where known.
 */
export class TextbenchError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown>;
  constructor(message: string, code: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'TextbenchError';
    this.code = code;
    this.details = details;
  }
}

export function isTextbenchError(err: unknown): err is TextbenchError {
  return err instanceof TextbenchError;
}
