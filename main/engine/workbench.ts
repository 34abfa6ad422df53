import { EventEmitter } from 'node:events';
import { openWorkspaceDb, resolveWorkspaceDir, type Db } from './store/db.ts';
import type { EngineContext } from './context.ts';
import type { WorkbenchEvent } from '../../shared/events.ts';
import { ProjectService } from './projects.ts';
import { DataService } from './data/service.ts';
import { TrainingService } from './train/service.ts';
import { ModelService } from './bundle/service.ts';
import { TaskService } from './tasks/tasks.ts';
import { probeBackendsOnce } from './compute/probe.ts';
import type { ProbeReport } from '../../shared/compute.ts';
import { cleanUpWorkspace } from './leftovers.ts';

export interface WorkbenchOptions {
  /** Workspace folder; defaults to --workspace / TEXTBENCH_WORKSPACE / the per-user app data folder. */
  workspace?: string;
}

/**
 * The facade: the one API that the desktop app, the CLI and the HTTP server call.
 * Each area lives in its own service; this class only opens the workspace and wires them together.
 */
export class Workbench {
  readonly dir: string;
  private readonly db: Db;
  readonly projects: ProjectService;
  readonly data: DataService;
  readonly training: TrainingService;
  readonly models: ModelService;
  /** Long work in progress (and recently ended): list it, stop any of it. */
  readonly tasks: TaskService;
  private readonly emitter = new EventEmitter();
  /** What opening the workspace cleaned up after processes that died (killed during a training or an import). */
  readonly recovered: { interruptedRuns: string[]; staging: string[] };

  private constructor(dir: string) {
    this.dir = dir;
    this.db = openWorkspaceDb(dir);
    this.recovered = cleanUpWorkspace(dir, this.db);
    this.emitter.setMaxListeners(100);
    const emit = (e: WorkbenchEvent) => this.emitter.emit('event', e);
    this.tasks = new TaskService(emit);
    const ctx: EngineContext = { db: this.db, dir, emit, tasks: this.tasks };
    this.projects = new ProjectService(ctx);
    this.data = new DataService(ctx);
    this.training = new TrainingService(ctx);
    this.models = new ModelService(ctx);
  }

  static open(options: WorkbenchOptions = {}): Workbench {
    return new Workbench(resolveWorkspaceDir(options.workspace));
  }

  /** Which backends and GPU adapters this machine has and which device training uses (`textbench backends`). */
  backends(options: { refresh?: boolean } = {}): Promise<ProbeReport> {
    return probeBackendsOnce(options.refresh === true);
  }

  /** Subscribe to every pushed event; returns the unsubscribe function. */
  onEvent(listener: (event: WorkbenchEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  async close(): Promise<void> {
    this.data.stopSearchIndex();
    await this.tasks.cancelAll();
    await this.training.shutdown();
    this.models.dispose();
    this.db.close();
  }
}
