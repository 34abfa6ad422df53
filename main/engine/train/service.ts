// Runs: training in a worker thread, stop, resume, listing, details and evaluation. This module never imports
// TensorFlow.js: the main thread (Electron main, CLI, server) stays light and responsive; every job gets a worker.
import { Worker } from 'node:worker_threads';
import type { EngineContext } from '../context.ts';
import type { Evaluation, Split } from '../../../shared/domain.ts';
import { SPLITS } from '../../../shared/domain.ts';
import { runSamplesPerSecond, type BackendRequest, type RunDetail, type RunSummary, type TrainOptions, type TrainPreset, type TrainResult } from '../../../shared/training.ts';
import { BACKEND_REQUESTS } from '../../../shared/train-options.ts';
import type { AutoSearchStatus, CompareResult, LrFindResult, SearchResult } from '../../../shared/doctor.ts';
import * as runs from '../store/runs.ts';
import { getProject, resolveProject } from '../store/projects.ts';
import { splitCounts } from '../store/examples.ts';
import { countRunPredictions, reliability } from '../store/runPredictions.ts';
import type { Reliability } from '../../../shared/evaluation.ts';
import { TextbenchError } from '../errors.ts';
import { checkOptions, resolveConfig } from './config.ts';
import type { WorkerError, WorkerInit, WorkerMessage, WorkerRequest, WorkerResult } from './protocol.ts';
import type { LrFindOptions } from './lrfind.ts';
import type { CompareOptions } from './compare.ts';
import type { SearchOptions } from './search.ts';
import { AutoSearches } from './auto-searches.ts';
import { trainPresets } from './presets.ts';

export type TrainingLogListener = (line: { run: string | null; level: 'info' | 'debug'; message: string }) => void;

interface Job {
  run: string | null;
  worker: Worker;
  stop: Int32Array;
  done: Promise<WorkerResult>;
}

function toError(e: WorkerError): Error {
  return e.code ? new TextbenchError(e.message, e.code, e.details ?? {}) : new Error(e.message);
}

export class TrainingService {
  private readonly jobs = new Set<Job>();
  private readonly training = new Map<string, Job>();
  private readonly logListeners = new Set<TrainingLogListener>();
  private nextId = 1;
  private readonly searches = new AutoSearches((projectId, options) => this.autoSearch({ ...options, project: projectId }));

  constructor(protected readonly ctx: EngineContext) {}

  /** Progress lines from workers ("backend: wasm", data sizes; 'debug' = TensorFlow.js chatter). */
  onLog(listener: TrainingLogListener): () => void {
    this.logListeners.add(listener);
    return () => this.logListeners.delete(listener);
  }

  /** Creates the run and starts training it in a worker; returns at once. Progress arrives as events. */
  start(options: TrainOptions = {}): { run: RunSummary } {
    const config = resolveConfig(options);
    const project = resolveProject(this.ctx.db, options.project, { use: true });
    const model = config.recipe ?? config.model;
    const name = options.name?.trim() || `${model} ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`;
    const id = runs.createRun(this.ctx.db, { projectId: project.id, name, model, config });
    this.launchTraining(id, false);
    return { run: runs.getRunSummary(this.ctx.db, id) };
  }

  /** Trains and resolves when the run ends. A run that fails resolves with status 'failed' and its error. */
  async train(options: TrainOptions = {}): Promise<TrainResult> {
    const { run } = this.start(options);
    return this.wait(run.id);
  }

  /** The result of a run started by this service (or its stored outcome once it has ended). */
  async wait(runRef: string): Promise<TrainResult> {
    const id = runs.resolveRunId(this.ctx.db, runRef);
    const job = this.training.get(id);
    if (job) {
      try {
        const r = await job.done;
        if (r.kind === 'train') return r.result;
      } catch {
        // The failure is already stored with the run (status 'failed', error); report it from there below.
      }
    }
    return this.resultFromStore(id);
  }

  private resultFromStore(id: string): TrainResult {
    const s = runs.getRunSummary(this.ctx.db, id);
    const d = runs.getRunDetail(this.ctx.db, id);
    const status = s.status === 'finished' || s.status === 'stopped' ? s.status : 'failed';
    return {
      run: id,
      status,
      backend: s.backend ?? 'unknown',
      device: s.device?.label ?? 'unknown',
      model: s.model,
      epochs: s.epochs,
      bestEpoch: s.bestEpoch ?? 0,
      validation: s.validation ?? { accuracy: NaN, macroF1: NaN },
      test: s.test ?? { accuracy: NaN, macroF1: NaN },
      findings: d.findings,
      actions: d.actions,
      samplesPerSecond: runSamplesPerSecond(d.curve),
      threads: d.config.threads ?? null,
      ...(status === 'failed' ? { error: s.error ?? `The run ended with status ${s.status}.` } : {}),
    };
  }

  /** Asks a training run to stop after its current batch; resolves with the run once it has stopped. */
  async stop(runRef: string): Promise<RunSummary> {
    const id = runs.resolveRunId(this.ctx.db, runRef);
    const job = this.training.get(id);
    if (!job) {
      const s = runs.getRunSummary(this.ctx.db, id);
      if (s.status === 'running' || s.status === 'queued') {
        throw new TextbenchError(`Run ${id} is marked ${s.status} but is not training in this process (another window or command may own it).`, 'RUN_NOT_HERE', { run: id });
      }
      return s;
    }
    Atomics.store(job.stop, 0, 1);
    await this.wait(id);
    return runs.getRunSummary(this.ctx.db, id);
  }

  /**
   * Continues a stopped, failed or interrupted run from its last checkpoint (weights and loop state; optimizer
   * moments start afresh). `epochs` raises the run's epoch budget, e.g. to train a finished run further; `backend`
   * moves it to another backend (after the GPU ran out of memory, say).
   */
  resume(runRef: string, overrides: { epochs?: number; backend?: BackendRequest } = {}): { run: RunSummary } {
    const id = runs.resolveRunId(this.ctx.db, runRef);
    if (this.training.has(id)) throw new TextbenchError(`Run ${id} is already training.`, 'RUN_ACTIVE', { run: id });
    if (!runs.loadCheckpoint(this.ctx.db, id, 'last')) {
      throw new TextbenchError(`Run ${id} has no checkpoint to resume from (it never completed an epoch). Start a new run instead.`, 'NO_CHECKPOINT', { run: id });
    }
    if (overrides.epochs !== undefined) {
      const config = runs.getRunConfig(this.ctx.db, id);
      checkOptions({ epochs: overrides.epochs });
      runs.setRunConfig(this.ctx.db, id, { ...config, epochs: overrides.epochs });
    }
    // Another backend, e.g. the CPU after the GPU ran out of memory: the checkpoint holds plain weights.
    if (overrides.backend !== undefined) {
      if (!(BACKEND_REQUESTS as readonly string[]).includes(overrides.backend)) {
        throw new TextbenchError(`Training option backend: expected one of ${BACKEND_REQUESTS.join(', ')}, got "${overrides.backend}".`, 'BAD_OPTION', { field: 'backend' });
      }
      runs.setRunConfig(this.ctx.db, id, { ...runs.getRunConfig(this.ctx.db, id), backend: overrides.backend });
    }
    runs.markRunQueued(this.ctx.db, id);
    this.launchTraining(id, true);
    return { run: runs.getRunSummary(this.ctx.db, id) };
  }

  /** Runs of a project (by id or name), or of the whole workspace; newest first. */
  list(project?: string): RunSummary[] {
    return runs.listRuns(this.ctx.db, project ? getProject(this.ctx.db, project).id : undefined);
  }

  get(runRef: string): RunDetail {
    return runs.getRunDetail(this.ctx.db, runs.resolveRunId(this.ctx.db, runRef));
  }

  /** The run's evaluation on a split: the stored one for test, computed in a worker otherwise. */
  async evaluate(runRef: string, split: Split = 'test'): Promise<Evaluation> {
    if (!SPLITS.includes(split)) throw new TextbenchError(`Unknown split "${String(split)}". Use train, validation or test.`, 'BAD_OPTION', { field: 'split' });
    const id = runs.resolveRunId(this.ctx.db, runRef);
    if (split === 'test') {
      const stored = runs.getStoredEvaluation(this.ctx.db, id);
      // Runs from before predictions were stored are evaluated again once, which stores them.
      if (stored && countRunPredictions(this.ctx.db, id, split)) return stored;
    }
    runs.loadRunModel(this.ctx.db, id); // clear error now if the run has no weights
    const backend = runs.getRunSummary(this.ctx.db, id).backend ?? undefined;
    const r = await this.spawn(null, { type: 'evaluate', id: this.nextId++, run: id, split, backend }).done;
    if (r.kind !== 'evaluate') throw new Error('The training worker answered an evaluation with a training result.');
    return r.result;
  }

  /** The model presets and recipes the Train view offers. */
  presets(): Promise<TrainPreset[]> {
    return trainPresets();
  }

  /** The learning-rate range test (lrfind.ts) in a training worker; its progress lines go to `options.log`. */
  async lrFind(options: LrFindOptions = {}): Promise<LrFindResult> {
    const { log, ...rest } = options;
    const r = await this.spawn(null, { type: 'lrFind', id: this.nextId++, options: rest }, log).done;
    if (r.kind !== 'lrFind') throw new Error(`The training worker answered lr-find with a ${r.kind} result.`);
    return r.result;
  }

  /** Trains recipes and models one after the other on the project's split; one leaderboard (compare.ts). */
  async compare(options: CompareOptions): Promise<CompareResult> {
    // Loaded on first use: compare checks recipe names, and the recipes pull in TensorFlow.js.
    const { checkCompareOptions, runCompare } = await import('./compare.ts');
    checkCompareOptions(options);
    const project = resolveProject(this.ctx.db, options.project);
    const rows = await runCompare(this, project, options);
    return { project: project.name, split: splitCounts(this.ctx.db, project.id), rows };
  }

  /** The automatic search (search.ts): baseline, then random trials with successive halving, within a budget. */
  async autoSearch(options: SearchOptions): Promise<SearchResult> {
    const { checkSearchBudget, runAutoSearch } = await import('./search.ts');
    checkSearchBudget(options);
    return runAutoSearch(this, resolveProject(this.ctx.db, options.project), options);
  }

  /** Starts an automatic search in the background; poll it with autoStatus. */
  autoStart(project: string, budgetMinutes: number | undefined, trials: number | undefined): { search: string } {
    return this.searches.start(getProject(this.ctx.db, project).id, budgetMinutes, trials);
  }

  autoStatus(search: string): AutoSearchStatus {
    return this.searches.get(search);
  }

  /** This session's automatic searches of a project. */
  autoList(project: string): AutoSearchStatus[] {
    return this.searches.list(getProject(this.ctx.db, project).id);
  }

  /** How far the run's probabilities on a split can be trusted (evaluates the split first when its predictions are not stored). */
  async reliability(runRef: string, split: Split = 'test'): Promise<Reliability> {
    const id = runs.resolveRunId(this.ctx.db, runRef);
    if (!countRunPredictions(this.ctx.db, id, split)) await this.evaluate(id, split);
    return reliability(this.ctx.db, id, split);
  }

  /** Stops running jobs (they end as 'stopped', resumable) and their workers, so the process can exit. */
  async shutdown(): Promise<void> {
    const jobs = [...this.jobs];
    for (const j of jobs) Atomics.store(j.stop, 0, 1);
    await Promise.allSettled(jobs.map((j) => j.done));
    await Promise.allSettled(jobs.map((j) => j.worker.terminate()));
  }

  private launchTraining(id: string, resume: boolean): void {
    const job = this.spawn(id, { type: 'train', id: this.nextId++, run: id, resume });
    this.training.set(id, job);
    job.done.then(
      () => this.training.delete(id),
      () => this.training.delete(id),
    );
  }

  private spawn(run: string | null, request: Exclude<WorkerRequest, { type: 'shutdown' }>, onLog?: (message: string) => void): Job {
    const stopFlag = new SharedArrayBuffer(4);
    const init: WorkerInit = { workspace: this.ctx.dir, stopFlag };
    const worker = new Worker(new URL('./worker-entry.mjs', import.meta.url), { workerData: init });
    let settled = false;
    const done = new Promise<WorkerResult>((resolve, reject) => {
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        fn();
        worker.postMessage({ type: 'shutdown' } satisfies WorkerRequest);
      };
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'ready') worker.postMessage(request);
        else if (m.type === 'event') this.ctx.emit(m.event);
        else if (m.type === 'log') {
          if (onLog && m.level === 'info') onLog(m.message);
          for (const l of this.logListeners) l({ run, level: m.level, message: m.message });
        }
        else if (m.type === 'result' && m.id === request.id) finish(() => resolve(m.result));
        else if (m.type === 'error' && m.id === request.id) finish(() => reject(toError(m.error)));
      });
      worker.on('error', (err) => {
        finish(() => {
          if (run) {
            const s = runs.getRunSummary(this.ctx.db, run);
            if (s.status === 'running' || s.status === 'queued') runs.failRun(this.ctx.db, run, `The training worker crashed: ${err.message}`);
            this.ctx.emit({ type: 'run.failed', run, error: err.message });
          }
          reject(err);
        });
      });
      worker.on('exit', (code) => {
        finish(() => {
          const message = `The training worker exited (code ${code}) before it finished.`;
          if (run) {
            runs.failRun(this.ctx.db, run, message);
            this.ctx.emit({ type: 'run.failed', run, error: message });
          }
          reject(new Error(message));
        });
      });
    });
    const job: Job = { run, worker, stop: new Int32Array(stopFlag), done };
    this.jobs.add(job);
    done.then(
      () => this.jobs.delete(job),
      () => this.jobs.delete(job),
    );
    // An unobserved rejection is reported through wait()/run.failed; keep Node from flagging it as unhandled.
    done.catch(() => {});
    return job;
  }
}
