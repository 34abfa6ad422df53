// Runs: training in a worker thread, stop, resume, listing, details and evaluation; lr-find, compare and the
// automatic search on top. Every long job is a task (tasks/tasks.ts) and runs in its own training worker through
// the engine's one worker client. This module never imports TensorFlow.js: the main thread (Electron main, CLI,
// server) stays light and responsive.
import path from 'node:path';
import type { EngineContext } from '../context.ts';
import type { Evaluation, Split } from '../../../shared/domain.ts';
import { SPLITS } from '../../../shared/domain.ts';
import type { WorkbenchEvent } from '../../../shared/events.ts';
import { runSamplesPerSecond, type BackendRequest, type RunDetail, type RunSummary, type TrainOptions, type TrainPreset, type TrainResult } from '../../../shared/training.ts';
import { BACKEND_REQUESTS } from '../../../shared/train-options.ts';
import type { AutoSearchStatus, CompareResult, LrFindResult, SearchResult } from '../../../shared/doctor.ts';
import * as runs from '../store/runs.ts';
import { loadLinearSearch } from '../store/linearModels.ts';
import { getProject, resolveProject } from '../store/projects.ts';
import { splitCounts } from '../store/examples.ts';
import { countRunPredictions, reliability } from '../store/runPredictions.ts';
import { deleteRun, renameRun, starRun, type RunArtefacts } from '../store/runEdits.ts';
import type { Reliability } from '../../../shared/evaluation.ts';
import { TextbenchError } from '../errors.ts';
import { WorkerClient } from '../tasks/worker-client.ts';
import type { TaskProgress } from '../tasks/tasks.ts';
import { checkOptions, resolveConfig } from './config.ts';
import type { TrainInit, TrainJob, TrainJobEvent, TrainJobResult } from './protocol.ts';
import type { LrFindOptions } from './lrfind.ts';
import type { CompareOptions } from './compare.ts';
import type { SearchOptions } from './search.ts';
import { AutoSearches } from './auto-searches.ts';
import { trainPresets } from './presets.ts';
import { claimRun, releaseRun } from '../store/owners.ts';
import { Heartbeat } from '../store/heartbeat.ts';

export type TrainingLogListener = (line: { run: string | null; level: 'info' | 'debug'; message: string }) => void;

interface JobOptions {
  onLog?: (message: string) => void;
  onEvent?: (event: WorkbenchEvent) => void;
  onProgress?: (progress: TaskProgress) => void;
  signal?: AbortSignal;
}

/** A training run in this process: its task (stop = cancel it) and its outcome. */
interface Training {
  task: string;
  done: Promise<TrainResult>;
}

export class TrainingService {
  /** Every worker in use, so that shutdown() can end them. */
  private readonly clients = new Set<WorkerClient<TrainJob, TrainJobResult, TrainJobEvent>>();
  private readonly training = new Map<string, Training>();
  private readonly logListeners = new Set<TrainingLogListener>();
  private readonly searches = new AutoSearches((task) => this.ctx.tasks.cancel(task));

  /** Tells other processes that this one still trains its runs (store/owners.ts); on while a run trains here. */
  private readonly heartbeat: Heartbeat;

  constructor(protected readonly ctx: EngineContext) {
    this.heartbeat = new Heartbeat(ctx.dir);
  }

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
        return await job.done;
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
        throw new TextbenchError(`Run ${id} is ${s.status} in another Textbench process (another window or command); stop it there.`, 'RUN_NOT_HERE', { run: id });
      }
      return s;
    }
    this.ctx.tasks.cancel(job.task);
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
    // Options are checked before the run is claimed, so that a refused resume leaves the run to others.
    if (overrides.epochs !== undefined) checkOptions({ epochs: overrides.epochs });
    if (overrides.backend !== undefined && !(BACKEND_REQUESTS as readonly string[]).includes(overrides.backend)) {
      throw new TextbenchError(`Training option backend: expected one of ${BACKEND_REQUESTS.join(', ')}, got "${overrides.backend}".`, 'BAD_OPTION', { field: 'backend' });
    }
    // One trainer per run: refused while another live process trains it (its owner), taken over once it is gone.
    claimRun(this.ctx.db, id);
    if (overrides.epochs !== undefined) runs.setRunConfig(this.ctx.db, id, { ...runs.getRunConfig(this.ctx.db, id), epochs: overrides.epochs });
    // Another backend, e.g. the CPU after the GPU ran out of memory: the checkpoint holds plain weights.
    if (overrides.backend !== undefined) runs.setRunConfig(this.ctx.db, id, { ...runs.getRunConfig(this.ctx.db, id), backend: overrides.backend });
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
    // A clear error now if the run has no weights (a linear run keeps its model in run_linear_models).
    if (!loadLinearSearch(this.ctx.db, id)) runs.loadRunModel(this.ctx.db, id);
    const backend = runs.getRunSummary(this.ctx.db, id).backend ?? undefined;
    const r = await this.runJob(null, { type: 'evaluate', run: id, split, backend });
    if (r.kind !== 'evaluate') throw new Error(`The training worker answered an evaluation with a ${r.kind} result.`);
    return r.result;
  }

  rename(runRef: string, name: string): RunSummary {
    const id = runs.resolveRunId(this.ctx.db, runRef);
    renameRun(this.ctx.db, id, name);
    return runs.getRunSummary(this.ctx.db, id);
  }

  star(runRef: string, starred: boolean): RunSummary {
    const id = runs.resolveRunId(this.ctx.db, runRef);
    starRun(this.ctx.db, id, starred);
    return runs.getRunSummary(this.ctx.db, id);
  }

  /** Deletes a run with its curve, checkpoints, predictions and workspace models; refuses one that is training. */
  delete(runRef: string): { run: string } & RunArtefacts {
    const id = runs.resolveRunId(this.ctx.db, runRef);
    const s = runs.getRunSummary(this.ctx.db, id);
    if (this.training.has(id) || s.status === 'running' || s.status === 'queued') {
      throw new TextbenchError(`Run ${s.name} is ${s.status === 'queued' ? 'about to train' : 'training'}; stop it before deleting it.`, 'RUN_ACTIVE', { run: id });
    }
    return { run: id, ...deleteRun(this.ctx.db, id) };
  }

  /** The model presets and recipes the Train view offers. */
  presets(): Promise<TrainPreset[]> {
    return trainPresets();
  }

  /** The learning-rate range test (lrfind.ts) as a task in a training worker; its progress lines go to `options.log`. */
  async lrFind(options: LrFindOptions = {}): Promise<LrFindResult> {
    const { log, onStep: _s, cancelled: _c, ...rest } = options;
    const project = resolveProject(this.ctx.db, rest.project);
    const what = rest.recipe ?? rest.model ?? 'baseline';
    const { done } = this.ctx.tasks.run({ kind: 'lr-find', title: `Finding a learning rate for ${what} on ${project.name}`, project: project.id }, async (task) => {
      const r = await this.runJob(null, { type: 'lrFind', options: rest }, { onLog: log, onProgress: task.progress, signal: task.signal });
      if (r.kind !== 'lrFind') throw new Error(`The training worker answered lr-find with a ${r.kind} result.`);
      return r.result;
    });
    return done;
  }

  /** Trains recipes and models one after the other on the project's split, as one task; one leaderboard (compare.ts). */
  async compare(options: CompareOptions): Promise<CompareResult> {
    // Loaded on first use: compare checks recipe names, and the recipes pull in TensorFlow.js.
    const { checkCompareOptions, runCompare } = await import('./compare.ts');
    checkCompareOptions(options);
    const project = resolveProject(this.ctx.db, options.project);
    const total = (options.recipes?.length ?? 0) + (options.models?.length ?? 0);
    const { done } = this.ctx.tasks.run({ kind: 'compare', title: `Comparing ${total} models on ${project.name}`, project: project.id }, async (task) => {
      let finished = 0;
      task.progress({ done: 0, total, unit: 'runs' });
      const rows = await runCompare(this, project, {
        ...options,
        signal: task.signal,
        onRow: (row) => {
          task.progress({ done: ++finished, total, unit: 'runs' });
          options.onRow?.(row);
        },
      });
      return { project: project.name, split: splitCounts(this.ctx.db, project.id), rows };
    });
    return done;
  }

  /** The automatic search (search.ts) as a task: baseline, then random trials with successive halving, within a budget. */
  async autoSearch(options: SearchOptions): Promise<SearchResult> {
    return (await this.startSearch(options)).done;
  }

  /** Starts an automatic search in the background; poll it with autoStatus (its id is its task's). */
  async autoStart(project: string, budgetMinutes: number | undefined, trials: number | undefined): Promise<{ search: string }> {
    const p = getProject(this.ctx.db, project);
    const { status, follow } = this.searches.create(p.id, budgetMinutes, trials);
    const { task, done } = await this.startSearch({
      project: p.id,
      budgetSeconds: budgetMinutes === undefined ? null : budgetMinutes * 60,
      trials: trials ?? null,
      ...follow,
    });
    this.searches.track(task, status, done);
    return { search: task };
  }

  autoStatus(search: string): AutoSearchStatus {
    return this.searches.get(search);
  }

  /** Ends an automatic search: no new trial starts, the running one stops keeping its best epoch. */
  autoStop(search: string): AutoSearchStatus {
    return this.searches.stop(search);
  }

  /** This session's automatic searches of a project. */
  autoList(project: string): AutoSearchStatus[] {
    return this.searches.list(getProject(this.ctx.db, project).id);
  }

  private async startSearch(options: SearchOptions): Promise<{ task: string; done: Promise<SearchResult> }> {
    const { checkSearchBudget, runAutoSearch } = await import('./search.ts');
    checkSearchBudget(options);
    const project = resolveProject(this.ctx.db, options.project);
    const budget = options.budgetSeconds ? `${Math.round(options.budgetSeconds / 60)} min` : `${options.trials} trials`;
    const { task, done } = this.ctx.tasks.run({ kind: 'auto-search', title: `Automatic search on ${project.name} (${budget})`, project: project.id }, (task) => {
      let trained = 0;
      const total = options.trials === null || options.trials === undefined ? null : options.trials + (options.baseline === false ? 0 : 1);
      return runAutoSearch(this, project, {
        ...options,
        signal: task.signal,
        onEntry: (entry) => {
          task.progress({ done: ++trained, total, unit: 'trials' });
          options.onEntry?.(entry);
        },
      });
    });
    return { task: task.id, done };
  }

  /** How far the run's probabilities on a split can be trusted (evaluates the split first when its predictions are not stored). */
  async reliability(runRef: string, split: Split = 'test'): Promise<Reliability> {
    const id = runs.resolveRunId(this.ctx.db, runRef);
    if (!countRunPredictions(this.ctx.db, id, split)) await this.evaluate(id, split);
    return reliability(this.ctx.db, id, split);
  }

  /** Stops running jobs (they end as 'stopped', resumable) and their workers, so the process can exit. */
  async shutdown(): Promise<void> {
    const running = [...this.training.values()];
    for (const t of running) this.ctx.tasks.cancel(t.task);
    await Promise.allSettled(running.map((t) => t.done));
    for (const c of this.clients) c.stop();
    this.heartbeat.stop();
  }

  private launchTraining(id: string, resume: boolean): void {
    const summary = runs.getRunSummary(this.ctx.db, id);
    const epochs = runs.getRunConfig(this.ctx.db, id).epochs;
    const project = getProject(this.ctx.db, summary.projectId).name;
    const { task, done } = this.ctx.tasks.run({ kind: 'training', title: `${resume ? 'Resuming' : 'Training'} ${summary.model} on ${project} (${summary.name})`, project: summary.projectId, run: id }, async (t) => {
      const r = await this.runJob(id, { type: 'train', run: id, resume }, {
        signal: t.signal,
        onEvent: (e) => {
          if (e.type === 'training.epoch') t.progress({ done: e.metrics.epoch, total: epochs, unit: 'epochs' });
        },
      });
      if (r.kind !== 'train') throw new Error(`The training worker answered a run with a ${r.kind} result.`);
      return r.result;
    });
    // An unobserved rejection is reported through wait()/run.failed; keep Node from flagging it as unhandled.
    done.catch(() => {});
    this.training.set(id, { task: task.id, done });
    this.heartbeat.start();
    const ended = () => {
      this.training.delete(id);
      // The run is no longer this process's: a run the worker could not close (it died) becomes 'interrupted'.
      releaseRun(this.ctx.db, id);
      if (!this.training.size) this.heartbeat.stop();
    };
    done.then(ended, ended);
  }

  /** One job in a training worker of its own (which opens its own connection to the workspace). */
  private async runJob(run: string | null, job: TrainJob, options: JobOptions = {}): Promise<TrainJobResult> {
    const client = new WorkerClient<TrainJob, TrainJobResult, TrainJobEvent>({
      role: 'train',
      name: 'the training worker',
      data: { workspace: this.ctx.dir } satisfies TrainInit,
      onLog: (level, message) => {
        if (options.onLog && level === 'info') options.onLog(message);
        for (const l of this.logListeners) l({ run, level, message });
      },
      onCrash: (err, how) => {
        if (!run) return;
        const s = runs.getRunSummary(this.ctx.db, run);
        if (s.status === 'running' || s.status === 'queued') runs.failRun(this.ctx.db, run, how === 'error' ? `The training worker crashed: ${err.message}` : err.message);
        this.ctx.emit({ type: 'run.failed', run, error: err.message });
      },
    });
    this.clients.add(client);
    try {
      return await client.request(job, {
        signal: options.signal,
        onEvent: (e) => {
          if (e.type === 'progress') return options.onProgress?.(e.progress);
          this.ctx.emit(e.event);
          options.onEvent?.(e.event);
        },
      }).done;
    } finally {
      this.clients.delete(client);
      client.shutdown();
    }
  }
}
