// Cross-validation fits on every core: a pool of worker threads, each with its own WebAssembly solver over
// the same feature matrices (shared memory, copied once into each solver). Fits are independent and
// deterministic, so the result is identical to running them one after another; only the wall time changes.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { CsrMatrix } from '../../text/tfidf-matrix.ts';
import { nnz } from '../../text/tfidf-matrix.ts';
import { LocalRunner, type FitSettings } from './fit-runner.ts';
import { problemCount } from './ovr.ts';
import { SearchStopped, type FitJob, type FitOutcome, type FitRunner, type Matrices } from './select.ts';

export interface FitWorkerInit {
  matrices: Matrices;
  settings: FitSettings;
}

export type FitWorkerRequest = { type: 'fit'; id: number; job: FitJob } | { type: 'close' };
export type FitWorkerReply = { type: 'ready' } | { type: 'done'; id: number; outcome: FitOutcome } | { type: 'error'; id: number; message: string };

/**
 * Below this much work (stored entries × fits × one-vs-rest problems) a pool costs more than it saves: starting
 * a worker (loading the TypeScript engine through tsx) takes about a second. The search's CPU time follows
 * this product (both feature sets' entries, the fits planned), at 5-25 ns a unit on the dev sets (UCI
 * sentiment about 30 million units, 0.6 s of CPU in one thread; O*NET job descriptions 3.2 billion, 18 s; O*NET
 * task sentences 6.2 billion, 94 s), so the pool starts from searches of a few seconds. Measured: two workers
 * cost 1.4 s of CPU to start, and a fit costs the same CPU in a worker as in this thread. (Counting entries × fits
 * alone left the O*NET job descriptions, 22 problems a fit, in one thread.)
 */
const POOL_MIN_WORK = 300e6;
/** Each worker holds its own copy of the matrices and its own weights in its solver's memory: keep all under this. */
const POOL_MEMORY_BYTES = 2 * 1024 ** 3;

function shared(m: CsrMatrix): CsrMatrix {
  const copy = <T extends Int32Array | Float32Array>(a: T, Ctor: { new (b: SharedArrayBuffer): T }): T => {
    const out = new Ctor(new SharedArrayBuffer(a.byteLength));
    out.set(a);
    return out;
  };
  return { rows: m.rows, cols: m.cols, indptr: copy(m.indptr, Int32Array), indices: copy(m.indices, Int32Array), data: copy(m.data, Float32Array) };
}

/**
 * The runner for a search: a pool of workers when there is enough work and more than one core, fits in this
 * thread otherwise. `expectedFits` is what the search plans.
 */
export function poolRunner(matrices: Matrices, settings: FitSettings, expectedFits: number): FitRunner {
  const entries = Object.values(matrices).reduce((s, m) => s + (m ? nnz(m) : 0), 0);
  const workers = poolWorkers(matrices, settings.classes, os.availableParallelism());
  if (workers < 2 || entries * expectedFits * problemCount(settings.classes) < POOL_MIN_WORK) return new LocalRunner(matrices, settings);
  return new FitPool(matrices, settings, workers);
}

/**
 * How many workers the memory allows on `cores` cores (at most 8). A worker holds the matrices (8 bytes a stored
 * entry, 4 a row) and, for its widest fit, every problem's weights side by side three times over, as float64:
 * the solver's working and output arrays (wasm memory never shrinks, so they stay) and their copy in JavaScript.
 * Long texts with many classes make the weights the larger part: 42 classes over a million n-gram columns is
 * 1 GB a worker, where the matrix of 12,600 job descriptions is about 300 MB.
 */
export function poolWorkers(matrices: Matrices, classes: number, cores: number): number {
  const all = Object.values(matrices).filter((m): m is CsrMatrix => m !== undefined);
  const data = all.reduce((s, m) => s + 8 * nnz(m) + 4 * m.rows, 0);
  const weights = 24 * problemCount(classes) * Math.max(0, ...all.map((m) => m.cols + 1));
  return Math.min(cores, 8, Math.floor(POOL_MEMORY_BYTES / Math.max(1, data + weights)));
}

interface Queued {
  job: FitJob;
  shouldStop?: () => boolean;
  resolve: (o: FitOutcome) => void;
  reject: (e: Error) => void;
}

/**
 * Workers take queued fits as soon as they are free. `run` may be called again before an earlier call has
 * finished (the search walks several settings along C at once): all calls share one queue, first come first
 * served.
 */
class FitPool implements FitRunner {
  private readonly init: FitWorkerInit;
  private workers: Worker[] = [];
  private idle: Worker[] = [];
  private queue: Queued[] = [];
  private readonly busy = new Map<Worker, { id: number; item: Queued }>();
  private nextId = 0;
  private failure: Error | null = null;

  get parallel(): number {
    return this.size;
  }

  constructor(
    matrices: Matrices,
    settings: FitSettings,
    private readonly size: number,
  ) {
    const sharedMatrices: Matrices = {};
    for (const [k, m] of Object.entries(matrices)) if (m) sharedMatrices[k as keyof Matrices] = shared(m);
    this.init = { matrices: sharedMatrices, settings: { ...settings, labels: Int32Array.from(settings.labels) } };
  }

  private start(): void {
    if (this.workers.length) return;
    for (let i = 0; i < this.size; i++) {
      const w = new Worker(new URL('./fit-worker-entry.mjs', import.meta.url), { workerData: this.init });
      this.workers.push(w);
      w.on('message', (m: FitWorkerReply) => {
        if (m.type === 'ready') {
          this.idle.push(w);
        } else {
          const current = this.busy.get(w);
          this.busy.delete(w);
          this.idle.push(w);
          if (current && m.type === 'done') current.item.resolve(m.outcome);
          else if (current && m.type === 'error') current.item.reject(new Error(`A cross-validation worker failed: ${m.message}`));
        }
        this.pump();
      });
      w.on('error', (err: Error) => this.fail(new Error(`A cross-validation worker failed: ${err.message}`)));
    }
  }

  /** A worker that dies fails every fit queued or running: the search cannot finish as planned. */
  private fail(err: Error): void {
    this.failure ??= err;
    for (const { item } of this.busy.values()) item.reject(err);
    this.busy.clear();
    for (const item of this.queue.splice(0)) item.reject(err);
  }

  private pump(): void {
    while (this.idle.length && this.queue.length) {
      const item = this.queue.shift()!;
      if (item.shouldStop?.()) {
        item.reject(new SearchStopped());
        continue;
      }
      const w = this.idle.shift()!;
      const id = this.nextId++;
      this.busy.set(w, { id, item });
      w.postMessage({ type: 'fit', id, job: item.job } satisfies FitWorkerRequest);
    }
  }

  private submit(job: FitJob, shouldStop?: () => boolean): Promise<FitOutcome> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.queue.push({ job, shouldStop, resolve, reject });
      this.pump();
    });
  }

  async run(jobs: readonly FitJob[], onDone: (index: number) => void, shouldStop?: () => boolean): Promise<FitOutcome[]> {
    this.start();
    const settled = await Promise.allSettled(
      jobs.map((job, i) =>
        this.submit(job, shouldStop).then((o) => {
          onDone(i);
          return o;
        }),
      ),
    );
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
    return settled.map((r) => (r as PromiseFulfilledResult<FitOutcome>).value);
  }

  async close(): Promise<void> {
    this.fail(new Error('The cross-validation pool was closed.'));
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers = [];
    this.idle = [];
  }
}

/** A pool of `workers` worker threads over the matrices, whatever the amount of work (tests compare it with LocalRunner). */
export function fitPool(matrices: Matrices, settings: FitSettings, workers: number): FitRunner {
  return new FitPool(matrices, settings, workers);
}
