// The one protocol between the engine's main side and its worker threads (training, evaluation, lr-find,
// classification): request ids, pushed events, logs, cancellation, and errors that keep their code and details.
// Both sides import this file; nothing here touches a thread.
import { isTextbenchError, TextbenchError } from '../errors.ts';

/** An error as it crosses a thread: a TextbenchError keeps its code and details; others their message. */
export interface WireError {
  message: string;
  code?: string;
  details?: Record<string, unknown>;
  stack?: string;
}

export function toWireError(err: unknown): WireError {
  const e = err instanceof Error ? err : new Error(String(err));
  return { message: e.message, code: isTextbenchError(e) ? e.code : undefined, details: isTextbenchError(e) ? e.details : undefined, stack: e.stack };
}

/** The error again on this side: a TextbenchError when it had a code (a person's message), else a plain Error. */
export function fromWireError(e: WireError): Error {
  const err = e.code ? new TextbenchError(e.message, e.code, e.details ?? {}) : new Error(e.message);
  if (e.stack) err.stack = e.stack;
  return err;
}

/** The code of a cancelled request's error: the caller asked it to stop. */
export const CANCELLED = 'CANCELLED';

export function cancelledError(what: string): TextbenchError {
  return new TextbenchError(`${what} was stopped before it finished.`, CANCELLED);
}

/** Slots in the shared cancel flags: request id modulo this (a worker never has this many requests in flight). */
export const CANCEL_SLOTS = 64;

/** What a worker is started with (workerData). `role` picks the job the one worker entry loads. */
export interface WorkerInit<R extends string = string, D = unknown> {
  role: R;
  /** Int32Array over CANCEL_SLOTS slots; slot id % CANCEL_SLOTS set to 1 cancels request id. */
  cancelFlags: SharedArrayBuffer;
  data: D;
}

export type ToWorker<Req> = { type: 'request'; id: number; request: Req } | { type: 'cancel'; id: number } | { type: 'shutdown' };

export type FromWorker<Res, Ev> =
  | { type: 'ready' }
  /** The worker could not start (e.g. no backend loads): every request fails with this. */
  | { type: 'failed'; error: WireError }
  | { type: 'log'; level: 'info' | 'debug'; message: string }
  | { type: 'event'; id: number; event: Ev }
  | { type: 'result'; id: number; result: Res }
  | { type: 'error'; id: number; error: WireError };
