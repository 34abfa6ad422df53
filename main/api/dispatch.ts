// One entry point for every API call from the renderer, whichever transport carried it:
// look the name up, validate the input against its schema, run the handler, and turn errors into ApiError.
import { z } from 'zod';
import { API, isApiName, type ApiError, type ApiHandlers, type ApiName, type ApiResponse } from '../../shared/api.ts';
import { explainBusy, isTextbenchError } from '../engine/errors.ts';

export interface DispatchOptions {
  /** Which transport is calling; Electron-only requests are refused elsewhere. */
  mode: 'electron' | 'browser';
  /** Called with unexpected (non-TextbenchError) failures, so they are logged and not only shown. */
  onUnexpected?: (name: string, err: unknown) => void;
}

export function issuesOf(err: z.ZodError): string[] {
  return err.issues.map((i) => `${i.path.length ? i.path.join('.') : 'input'}: ${i.message}`);
}

export function toApiError(caught: unknown): ApiError {
  const err = explainBusy(caught) ?? caught;
  if (isTextbenchError(err)) return { message: err.message, code: err.code, details: err.details };
  if (err instanceof z.ZodError) {
    const issues = issuesOf(err);
    return { message: `The request was not valid: ${issues.join('; ')}.`, code: 'INVALID_INPUT', issues };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { message: `Something went wrong inside Textbench: ${message}`, code: 'INTERNAL' };
}

export async function dispatch(handlers: ApiHandlers, name: unknown, input: unknown, opts: DispatchOptions): Promise<ApiResponse<unknown>> {
  if (!isApiName(name)) {
    return { ok: false, error: { message: `Unknown request "${String(name)}".`, code: 'UNKNOWN_REQUEST' } };
  }
  const spec = API[name];
  if (spec.electronOnly && opts.mode !== 'electron') {
    return { ok: false, error: { message: `"${name}" needs the desktop app; the browser cannot open native dialogs.`, code: 'ELECTRON_ONLY' } };
  }
  const parsed = spec.input.safeParse(input ?? {});
  if (!parsed.success) {
    const issues = issuesOf(parsed.error);
    return { ok: false, error: { message: `The request "${name}" was not valid: ${issues.join('; ')}.`, code: 'INVALID_INPUT', issues } };
  }
  try {
    const handler = handlers[name] as (i: unknown) => unknown;
    const result = await handler(parsed.data);
    return { ok: true, result };
  } catch (err) {
    if (!isTextbenchError(err)) opts.onUnexpected?.(name satisfies ApiName, err);
    return { ok: false, error: toApiError(err) };
  }
}
