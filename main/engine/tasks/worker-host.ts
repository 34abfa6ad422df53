// The worker side of the protocol in wire.ts: answers requests one at a time, in arrival order, with their
// events and errors; tells each job whether it was cancelled; routes console output away from the caller's stdout.
import { parentPort, workerData } from 'node:worker_threads';
import { format } from 'node:util';
import { CANCEL_SLOTS, toWireError, type FromWorker, type ToWorker, type WorkerInit } from './wire.ts';

export interface Job<Ev> {
  id: number;
  /** Pushes an event to the request's caller. */
  emit(event: Ev): void;
  /** A progress line for a person (the CLI prints it on stderr). */
  log(message: string): void;
  /** True once the caller asked the request to stop (cheap: read it every step). */
  cancelled(): boolean;
}

export interface Served<Res> {
  result: Res;
  /** Buffers to move instead of copy. */
  transfer?: ArrayBuffer[];
}

export interface ServeOptions {
  /** Requests wait for this (e.g. the backend): if it fails, the worker reports it and every request fails. */
  ready?: Promise<unknown>;
  /** Called on shutdown, before the port closes. */
  onShutdown?: () => void;
  /** Messages that are not requests (e.g. cache eviction). */
  onOther?: (message: unknown) => void;
}

export function workerInit<D>(): WorkerInit<string, D> {
  return workerData as WorkerInit<string, D>;
}

/** Serves requests until shutdown. `handle` does one request; its throw becomes the request's error. */
export function serveRequests<Req, Res, Ev>(handle: (request: Req, job: Job<Ev>) => Promise<Served<Res>>, options: ServeOptions = {}): void {
  const port = parentPort;
  if (!port) throw new Error('This module runs in a worker thread started by the engine (tasks/worker-client.ts).');
  const post = (m: FromWorker<Res, Ev>, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
  const flags = new Int32Array(workerInit().cancelFlags);

  // TensorFlow.js talks through console (banners, warnings): keep it out of the caller's stdout (--json output).
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    console[level] = (...args: unknown[]) => post({ type: 'log', level: 'debug', message: format(...args) });
  }

  const cancelledIds = new Set<number>();
  const ready = options.ready ?? Promise.resolve();
  let queue: Promise<unknown> = ready.catch(() => undefined);
  port.on('message', (m: ToWorker<Req> | { type: string }) => {
    if (m.type === 'shutdown') {
      options.onShutdown?.();
      port.close();
      return;
    }
    if (m.type === 'cancel') {
      cancelledIds.add((m as { id: number }).id);
      return;
    }
    if (m.type !== 'request') return options.onOther?.(m);
    const { id, request } = m as Extract<ToWorker<Req>, { type: 'request' }>;
    const job: Job<Ev> = {
      id,
      emit: (event) => post({ type: 'event', id, event }),
      log: (message) => post({ type: 'log', level: 'info', message }),
      cancelled: () => cancelledIds.has(id) || Atomics.load(flags, id % CANCEL_SLOTS) === 1,
    };
    // One request at a time, in arrival order: a file's predictions stream back in order, a run owns the thread.
    queue = queue.then(async () => {
      try {
        await ready;
        const { result, transfer } = await handle(request, job);
        post({ type: 'result', id, result }, transfer);
      } catch (err) {
        post({ type: 'error', id, error: toWireError(err) });
      } finally {
        cancelledIds.delete(id);
      }
    });
  });
  ready.then(
    () => post({ type: 'ready' }),
    (err: unknown) => post({ type: 'failed', error: toWireError(err) }),
  );
}
