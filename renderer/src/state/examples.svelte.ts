// The Data view's rows: fetched page by page as the virtual list scrolls, cached until the filter changes.
import type { Example } from '../../../shared/domain.ts';
import type { ExamplePrediction } from '../../../shared/evaluation.ts';
import type { ApiClient } from '../api/client.ts';
import { filterKey, pagesFor, toQuery, type DataFilter } from '../lib/filters.ts';

export const PAGE_SIZE = 200;

export class ExamplesStore {
  total = $state(0);
  /** Bumped whenever a page arrives, so rows re-render. */
  version = $state(0);
  loading = $state(false);
  error = $state<string | null>(null);
  private pages = new Map<number, Example[]>();
  /** With a prediction filter: what the run predicted for the loaded rows. */
  private predicted = new Map<number, ExamplePrediction>();
  private inflight = new Map<number, Promise<void>>();
  private key = '';
  private project = '';
  private filter: DataFilter | null = null;

  constructor(private readonly client: ApiClient) {}

  /** Sets the filter; resets the cache and loads the first page when it changed. */
  async setFilter(project: string, filter: DataFilter): Promise<void> {
    const key = filterKey(project, filter);
    if (key === this.key) return;
    this.key = key;
    this.project = project;
    this.filter = { ...filter };
    this.pages.clear();
    this.predicted.clear();
    this.inflight.clear();
    // The old total stays until the new first page answers, so the count never flashes "0 rows".
    await this.loadPage(0, key);
  }

  /** Forget cached rows (after a relabel or undo) and reload what is visible. */
  async refresh(start = 0, end = PAGE_SIZE - 1): Promise<void> {
    this.pages.clear();
    this.inflight.clear();
    await this.ensure(start, end);
    this.version++;
  }

  prediction(id: number): ExamplePrediction | undefined {
    return this.predicted.get(id);
  }

  row(index: number): Example | undefined {
    return this.pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE];
  }

  async ensure(start: number, end: number): Promise<void> {
    const key = this.key;
    const last = Math.min(end, Math.max(0, this.total - 1));
    await Promise.all(pagesFor(start, last, PAGE_SIZE).filter((p) => !this.pages.has(p)).map((p) => this.loadPage(p, key)));
  }

  private loadPage(page: number, key: string): Promise<void> {
    const existing = this.inflight.get(page);
    if (existing) return existing;
    const filter = this.filter;
    if (!filter) return Promise.resolve();
    this.loading = true;
    const job = this.client
      .call('data.examples', toQuery(this.project, filter, page * PAGE_SIZE, PAGE_SIZE))
      .then((res) => {
        if (key !== this.key) return; // the filter changed while this page was in flight
        this.pages.set(page, res.rows);
        for (const [id, p] of Object.entries(res.predictions ?? {})) this.predicted.set(Number(id), p);
        this.total = res.total;
        this.error = null;
        this.version++;
      })
      .catch((err: unknown) => {
        if (key !== this.key) return;
        this.error = err instanceof Error ? err.message : String(err);
        this.total = 0;
      })
      .finally(() => {
        this.inflight.delete(page);
        this.loading = this.inflight.size > 0;
      });
    this.inflight.set(page, job);
    return job;
  }
}
