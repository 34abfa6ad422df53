// The main-thread side of the classification worker: starts it on first use, sends typed requests, routes
// progress and streamed predictions back, and lets the process exit while the worker is idle.
import { Worker } from 'node:worker_threads';
import { TextbenchError } from '../errors.ts';
import type { Prediction, Progress } from '../../../shared/domain.ts';
import type { ClassifyInit, ClassifyMessage, ClassifyRequest, ClassifyResult } from './protocol.ts';

type Request = Exclude<ClassifyRequest, { type: 'evict' | 'shutdown' }>;
type RequestBody = Request extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

interface Pending {
  resolve(r: ClassifyResult): void;
  reject(e: Error): void;
  onProgress?: (p: Progress) => void;
  onPredictions?: (p: Prediction[]) => void;
}

export interface RequestHandlers {
  onProgress?: (p: Progress) => void;
  onPredictions?: (p: Prediction[]) => void;
}

export class ClassifierHost {
  private worker: Worker | null = null;
  /** Counts worker starts: a new worker has an empty model cache. */
  generation = 0;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private backend: string | undefined;
  /** Lines TensorFlow.js printed in the worker (kept short; shown with TEXTBENCH_DEBUG). */
  readonly logs: string[] = [];

  /** Backend for the worker to start on (--backend); takes effect when the worker (re)starts. */
  setBackend(name: string | undefined): void {
    if (name !== this.backend) {
      this.backend = name;
      if (this.worker && !this.pending.size) this.stop();
    }
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const init: ClassifyInit = { backend: this.backend };
    const worker = new Worker(new URL('./worker-entry.mjs', import.meta.url), { workerData: init });
    worker.unref();
    worker.on('message', (m: ClassifyMessage) => this.onMessage(m));
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => {
      if (this.worker !== worker) return; // stopped on purpose
      this.worker = null;
      this.fail(new Error(`The classification worker exited (code ${code}) before it answered.`));
    });
    this.worker = worker;
    this.generation++;
    return worker;
  }

  private onMessage(m: ClassifyMessage): void {
    if (m.type === 'ready') return;
    if (m.type === 'log') {
      this.logs.push(m.message);
      if (this.logs.length > 50) this.logs.shift();
      if (process.env.TEXTBENCH_DEBUG) process.stderr.write(`[classify worker] ${m.message}\n`);
      return;
    }
    if (m.type === 'error' && m.id === 0) {
      // The worker could not start (no backend): every waiting request fails with that reason.
      this.fail(new TextbenchError(m.error.message, m.error.code ?? 'BACKEND_FAILED', m.error.details ?? {}));
      this.stop();
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.type === 'progress') p.onProgress?.(m.progress);
    else if (m.type === 'predictions') p.onPredictions?.(m.predictions);
    else {
      this.pending.delete(m.id);
      if (!this.pending.size) this.worker?.unref();
      if (m.type === 'result') p.resolve(m.result);
      else p.reject(m.error.code ? new TextbenchError(m.error.message, m.error.code, m.error.details ?? {}) : new Error(m.error.message));
    }
  }

  private fail(err: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(err);
  }

  request(body: RequestBody, handlers: RequestHandlers = {}): Promise<ClassifyResult> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<ClassifyResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, ...handlers });
      worker.ref(); // keep the process alive while a request is in flight
      worker.postMessage({ ...body, id } as ClassifyRequest);
    });
  }

  evict(key: string): void {
    this.worker?.postMessage({ type: 'evict', key } satisfies ClassifyRequest);
  }

  /** Starts the worker if needed; returns its generation. */
  ensureStarted(): number {
    this.start();
    return this.generation;
  }

  /** Ends the worker (and frees its TensorFlow.js memory); the next request starts a new one. */
  stop(): void {
    const w = this.worker;
    if (!w) return;
    this.worker = null;
    this.fail(new Error('Classification was stopped before it finished.'));
    w.postMessage({ type: 'shutdown' } satisfies ClassifyRequest);
    void w.terminate();
  }
}
