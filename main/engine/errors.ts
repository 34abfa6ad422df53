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

/**
 * How long a writer waits for another process's write to finish before it gives up. Several processes share a
 * workspace; every write transaction takes the lock first (BEGIN IMMEDIATE) and waits its turn. The longest
 * writes are import commits (one INSERT of every staged row: about a second per 100 MB of text here), so
 * 30 s lets a writer wait out the commit of a file of a few gigabytes and still gives up rather than hang.
 */
export const BUSY_TIMEOUT_MS = 30_000;

/**
 * A clear error for a write that waited BUSY_TIMEOUT_MS for another process and gave up (SQLite's own message
 * is "database is locked"), or null for any other error.
 */
export function explainBusy(err: unknown, dir?: string): TextbenchError | null {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_BUSY')) return null;
  return new TextbenchError(
    `The workspace${dir ? ` ${dir}` : ''} is busy: another Textbench process has been writing to it for over ${BUSY_TIMEOUT_MS / 1000} s ` +
      '(a large import being committed?). Nothing was changed; try again when it has finished.',
    'WORKSPACE_BUSY',
    { sqlite: code },
  );
}
