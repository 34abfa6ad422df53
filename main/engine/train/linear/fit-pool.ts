// Cross-validation fits on every core: a pool of worker threads, each with its own WebAssembly solver over
// the same feature matrices (shared memory, copied once into each solver). Fits are independent and
// deterministic, so the result is identical to running them one after another; only the wall time changes.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { CsrMatrix } from '../../text/tfidf-matrix.ts';
import { nnz } from '../../text/tfidf-matrix.ts';
import { LocalRunner, type FitSettings } from './fit-runner.ts';
import { SearchStopped, type FitJob, type FitOutcome, type FitRunner, type Matrices } from './select.ts';

export interface FitWorkerInit {
  matrices: Matrices;
  settings: FitSettings;
}

export type FitWorkerRequest = { type: 'fit'; id: number; job: FitJob } | { type: 'close' };
export type FitWorkerReply = { type: 'ready' } | { type: 'done'; id: number; outcome: FitOutcome } | { type: 'error'; id: number; message: string };

/**
 * Below this much work (stored entries × fits) a pool costs more than it saves: starting a worker (loading
 * the TypeScript engine through tsx) takes about a second, a 100-million-entry search a few seconds.
 */
const POOL_MIN_WORK = 200e6;
/** Each worker holds its own copy of the matrices in its solver's memory: keep all copies under this. */
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
  const bytesPerWorker = Object.values(matrices).reduce((s, m) => s + (m ? 8 * nnz(m) + 4 * m.rows : 0), 0);
  const cores = os.availableParallelism();
  const workers = Math.min(cores, 8, Math.floor(POOL_MEMORY_BYTES / Math.max(1, bytesPerWorker)));
  if (workers < 2 || entries * expectedFits < POOL_MIN_WORK) return new LocalRunner(matrices, settings);
  return new FitPool(matrices, settings, workers);
}

class FitPool implements FitRunner {
  private readonly init: FitWorkerInit;
  private workers: Worker[] = [];
  private ready: Promise<void>[] = [];

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
      this.ready.push(
        new Promise((resolve, reject) => {
          const onMessage = (m: FitWorkerReply) => {
            if (m.type === 'ready') {
              w.off('message', onMessage);
              resolve();
            }
          };
          w.on('message', onMessage);
          w.once('error', reject);
        }),
      );
    }
  }

  async run(jobs: readonly FitJob[], onDone: (index: number) => void, shouldStop?: () => boolean): Promise<FitOutcome[]> {
    this.start();
    await Promise.all(this.ready);
    const out: FitOutcome[] = new Array(jobs.length);
    let next = 0;
    let stopped = false;
    // Each worker takes the next job as soon as it is free; outcomes land at their job's index.
    const drive = (w: Worker) =>
      new Promise<void>((resolve, reject) => {
        const finish = (err?: Error) => {
          w.off('message', onMessage);
          w.off('error', finish);
          if (err) reject(err);
          else resolve();
        };
        const dispatch = () => {
          if (stopped || shouldStop?.()) {
            stopped = true;
            finish();
          } else if (next >= jobs.length) finish();
          else {
            const id = next++;
            w.postMessage({ type: 'fit', id, job: jobs[id]! } satisfies FitWorkerRequest);
          }
        };
        const onMessage = (m: FitWorkerReply) => {
          if (m.type === 'done') {
            out[m.id] = m.outcome;
            onDone(m.id);
            dispatch();
          } else if (m.type === 'error') finish(new Error(`A cross-validation worker failed: ${m.message}`));
        };
        w.on('message', onMessage);
        w.on('error', finish);
        dispatch();
      });
    await Promise.all(this.workers.map(drive));
    if (stopped) throw new SearchStopped();
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers = [];
    this.ready = [];
  }
}
