// App-wide state: the client, the current view and project, the selected run, notices.
import type { ApiEvent, SystemInfo, ViewName } from '../../../shared/api.ts';
import type { Project } from '../../../shared/domain.ts';
import type { ApiClient } from '../api/client.ts';
import { ApiCallError } from '../api/client.ts';
import { EMPTY_FILTER, type DataFilter } from '../lib/filters.ts';
import { errorLocation } from '../lib/format.ts';

export interface Notice {
  id: number;
  tone: 'info' | 'success' | 'error';
  text: string;
  where?: string | null;
  /** One button on the notice, e.g. "Undo"; `key` names what it acts on (a change batch), so it can be withdrawn. */
  action?: { label: string; run: () => void; key?: string };
}

export class AppState {
  readonly client: ApiClient;
  /** The views of the sidebar, or 'system' (the backends and GPU adapters, opened from the sidebar's foot). */
  view = $state<ViewName | 'system'>('projects');
  info = $state<SystemInfo | null>(null);
  projects = $state<Project[]>([]);
  projectId = $state<string | null>(null);
  runId = $state<string | null>(null);
  /** A run the user chose to export or classify with ("Use this model"); else those views start from the best run. */
  chosenRun = $state<string | null>(null);
  notices = $state<Notice[]>([]);
  /** Set by other views (review links, confusion cells) before switching to the Data view. */
  dataFilter = $state<DataFilter>({ ...EMPTY_FILTER });
  /** A file dropped anywhere on the window, waiting for the Import view. */
  pendingFile = $state<File | null>(null);
  pendingPath = $state<string | null>(null);
  project = $derived(this.projects.find((p) => p.id === this.projectId) ?? null);
  private nextNotice = 1;

  constructor(client: ApiClient) {
    this.client = client;
  }

  async start(): Promise<void> {
    this.info = await this.client.call('system.info', {});
    await this.refreshProjects();
    if (!this.projectId && this.projects[0]) this.projectId = this.projects[0].id;
    this.view = this.projects.length ? 'data' : 'import';
  }

  async refreshProjects(): Promise<void> {
    this.projects = await this.client.call('projects.list', {});
    if (this.projectId && !this.projects.some((p) => p.id === this.projectId)) this.projectId = this.projects[0]?.id ?? null;
  }

  async openProject(id: string, view: ViewName = 'data'): Promise<void> {
    await this.client.call('projects.open', { project: id });
    this.projectId = id;
    this.runId = null;
    this.chosenRun = null;
    this.dataFilter = { ...EMPTY_FILTER };
    this.view = view;
  }

  go(view: ViewName | 'system'): void {
    this.view = view;
  }

  /** Opens Export or Classify with this run picked. */
  useRun(run: string, view: 'export' | 'classify'): void {
    this.chosenRun = run;
    this.runId = run;
    this.view = view;
  }

  showData(filter: Partial<DataFilter>): void {
    this.dataFilter = { ...EMPTY_FILTER, ...filter };
    this.view = 'data';
  }

  notify(tone: Notice['tone'], text: string, where?: string | null, action?: Notice['action']): void {
    const id = this.nextNotice++;
    // At most three at once: older ones make room (errors stay until dismissed unless crowded out).
    this.notices = [...this.notices, { id, tone, text, where, action }].slice(-3);
    // A notice with a button (Undo) stays longer: 5 s is too short to read it and decide.
    if (tone !== 'error') setTimeout(() => this.dismiss(id), action ? 12_000 : 5000);
  }

  fail(err: unknown): void {
    if (err instanceof ApiCallError) this.notify('error', err.message, errorLocation(err.details));
    else this.notify('error', err instanceof Error ? err.message : String(err));
  }

  dismiss(id: number): void {
    this.notices = this.notices.filter((n) => n.id !== id);
  }

  /** Withdraws the notices whose button acts on `key` (a batch undone some other way must not offer Undo again). */
  dismissAction(key: string): void {
    this.notices = this.notices.filter((n) => n.action?.key !== key);
  }

  /** Runs an action and reports its failure as a notice; returns undefined on failure. */
  async attempt<T>(action: () => Promise<T>): Promise<T | undefined> {
    try {
      return await action();
    } catch (err) {
      this.fail(err);
      return undefined;
    }
  }

  onEvent(listener: (e: ApiEvent) => void): () => void {
    return this.client.onEvent(listener);
  }
}
