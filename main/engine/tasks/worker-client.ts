// The one typed client for the engine's worker threads: starts a worker (one entry, a role per job), sends requests
// with ids, routes their events back, cancels them, rebuilds their errors, and keeps the process alive only while
// a request is in flight when asked to. Training, evaluation, lr-find and classification all go through it.
import { Worker } from 'node:worker_threads';
import { CANCEL_SLOTS, fromWireError, type FromWorker, type ToWorker, type WorkerInit } from './wire.ts';

/**
 * The worker entry: in the source tree the TypeScript loader shim (run through tsx in development and tests); the
 * shipped build (tools/build.mjs) points this URL at the bundled dist/worker.js.
 */
export const WORKER_ENTRY = new URL('../worker-entry.mjs', import.meta.url);

export interface WorkerClientOptions<D> {
  role: string;
  data: D;
  /** How messages name the worker: "the training worker". */
  name: string;
  /** Lines the worker logged ('debug': TensorFlow.js chatter routed away from stdout). */
  onLog?: (level: 'info' | 'debug', message: string) => void;
  /** Let the process exit while no request is in flight (a long-lived worker that waits for work). */
  unrefWhenIdle?: boolean;
  /** The worker threw (`'error'`) or exited (`'exit'`) with requests in flight, after they failed with `error`. */
  onCrash?: (error: Error, how: 'error' | 'exit') => void;
}

export interface RequestOptions<Ev> {
  onEvent?: (event: Ev) => void;
  /** Aborting cancels the request (the worker sees it between steps; its error has code CANCELLED). */
  signal?: AbortSignal;
}

interface Pending<Res, Ev> {
  resolve(r: Res): void;
  reject(e: Error): void;
  onEvent?: (event: Ev) => void;
  cleanup(): void;
}

export class WorkerClient<Req, Res, Ev = never> {
  private worker: Worker | null = null;
  private flags = new Int32Array(new SharedArrayBuffer(4 * CANCEL_SLOTS));
  private readonly pending = new Map<number, Pending<Res, Ev>>();
  private nextId = 1;
  /** Counts worker starts: a new worker holds none of the state an earlier one built up. */
  generation = 0;

  constructor(private readonly options: WorkerClientOptions<unknown>) {}

  get busy(): boolean {
    return this.pending.size > 0;
  }

  /** Starts the worker if it is not running; returns its generation. */
  start(): number {
    if (this.worker) return this.generation;
    this.flags = new Int32Array(new SharedArrayBuffer(4 * CANCEL_SLOTS));
    const init: WorkerInit = { role: this.options.role, cancelFlags: this.flags.buffer as SharedArrayBuffer, data: this.options.data };
    const worker = new Worker(WORKER_ENTRY, { workerData: init });
    if (this.options.unrefWhenIdle) worker.unref();
    worker.on('message', (m: FromWorker<Res, Ev>) => this.onMessage(m));
    worker.on('error', (err) => this.crash(worker, err, 'error'));
    worker.on('exit', (code) => this.crash(worker, new Error(`${capital(this.options.name)} exited (code ${code}) before it finished.`), 'exit'));
    this.worker = worker;
    return ++this.generation;
  }

  /** Sends a request; `done` settles with its result or its error (rebuilt as a TextbenchError when it had a code). */
  request(request: Req, options: RequestOptions<Ev> = {}): { id: number; done: Promise<Res> } {
    this.start();
    const worker = this.worker!;
    const id = this.nextId++;
    Atomics.store(this.flags, id % CANCEL_SLOTS, 0);
    const done = new Promise<Res>((resolve, reject) => {
      const onAbort = () => this.cancel(id);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve,
        reject,
        onEvent: options.onEvent,
        cleanup: () => options.signal?.removeEventListener('abort', onAbort),
      });
      if (options.signal?.aborted) onAbort();
    });
    worker.ref(); // keep the process alive while a request is in flight
    worker.postMessage({ type: 'request', id, request } satisfies ToWorker<Req>);
    return { id, done };
  }

  /** A message that is not a request (no answer), to a running worker only. */
  notify(message: { type: string; [field: string]: unknown }): void {
    this.worker?.postMessage(message);
  }

  /** Asks the worker to stop request `id` at its next step. */
  cancel(id: number): void {
    if (!this.pending.has(id)) return;
    Atomics.store(this.flags, id % CANCEL_SLOTS, 1);
    this.worker?.postMessage({ type: 'cancel', id } satisfies ToWorker<Req>);
  }

  /** Ends the worker at once; requests in flight fail with `reason`. */
  stop(reason = `${capital(this.options.name)} was stopped before it finished.`): void {
    const w = this.worker;
    if (!w) return;
    this.worker = null;
    this.failAll(new Error(reason));
    w.postMessage({ type: 'shutdown' } satisfies ToWorker<Req>);
    void w.terminate();
  }

  /** Asks the worker to close by itself once it is idle (it closes what it opened, e.g. its database). */
  shutdown(): void {
    const w = this.worker;
    if (!w) return;
    this.worker = null;
    w.postMessage({ type: 'shutdown' } satisfies ToWorker<Req>);
  }

  private onMessage(m: FromWorker<Res, Ev>): void {
    if (m.type === 'ready') return;
    if (m.type === 'log') {
      this.options.onLog?.(m.level, m.message);
      return;
    }
    if (m.type === 'failed') {
      // The worker cannot serve anything (no backend loads): every waiting request fails with that reason.
      this.failAll(fromWireError(m.error));
      this.stop();
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.type === 'event') {
      p.onEvent?.(m.event);
      return;
    }
    this.settle(m.id, p);
    if (m.type === 'result') p.resolve(m.result);
    else p.reject(fromWireError(m.error));
  }

  private settle(id: number, p: Pending<Res, Ev>): void {
    this.pending.delete(id);
    p.cleanup();
    if (!this.pending.size && this.options.unrefWhenIdle) this.worker?.unref();
  }

  private failAll(err: Error): void {
    for (const [id, p] of [...this.pending]) {
      this.settle(id, p);
      p.reject(err);
    }
  }

  private crash(worker: Worker, err: Error, how: 'error' | 'exit'): void {
    if (this.worker !== worker) return; // stopped on purpose
    this.worker = null;
    const inFlight = this.pending.size > 0;
    this.failAll(err);
    if (inFlight) this.options.onCrash?.(err, how);
  }
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
