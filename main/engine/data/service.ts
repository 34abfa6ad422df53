import os from 'node:os';
import path from 'node:path';
import type { WorkbenchEvent } from '../../../shared/events.ts';
import type { EngineContext } from '../context.ts';
import type { Dataset, LabelEdit, Project } from '../../../shared/domain.ts';
import type { DataRepairResult, EditBatch, ExamplePage, ExampleQuery, ImportOptions, ImportPreview, ImportResult, LabelCount, ReadOptions, RelabelResult, ReviewReport, UndoResult } from '../../../shared/data.ts';
import { getProject, resolveProject } from '../store/projects.ts';
import { deleteDataset, listDatasets } from '../store/datasets.ts';
import { countExamples, idsWithLabel, labelCounts, matchingIds, queryExamples, registerTextFunctions } from '../store/examples.ts';
import { TextbenchError } from '../errors.ts';
import { listEdits, relabelExamples } from '../store/labelEdits.ts';
import { listBatches } from '../store/editBatches.ts';
import { removeDuplicates, resplitLeaks, undoChanges } from './repairs.ts';
import { importFile, previewImport, type ImportControl } from './importer.ts';
import { reviewProject } from './review.ts';
import { reviewInBackground } from './review-background.ts';
import { existingSample, SAMPLE_FILE, SAMPLE_IMPORT } from './sample.ts';
import { SearchIndexer, type IndexRun } from './search-index.ts';
import type { TaskControl } from '../tasks/tasks.ts';

/** Import, review, examples and label edits: the engine's public data API (CLI, app and server call these). */
export class DataService {
  /** Builds the search index of large imports after them; a backlog a killed process left is taken up at once. */
  private readonly indexer: SearchIndexer;

  constructor(protected readonly ctx: EngineContext) {
    registerTextFunctions(ctx.db);
    this.indexer = new SearchIndexer(ctx.db, { onRun: (pending) => this.indexTask(pending) });
    this.indexer.kick();
  }

  /** Background indexing as a task: listed with its progress in rows, and Stop pauses it until the next import. */
  private indexTask(pending: number): IndexRun {
    let end!: (error?: Error) => void;
    const ended = new Promise<void>((resolve, reject) => (end = (error) => (error ? reject(error) : resolve())));
    let control!: TaskControl;
    const { done } = this.ctx.tasks.run({ kind: 'search-index', title: 'Indexing for search' }, (task) => {
      control = task;
      task.progress({ done: 0, total: pending, unit: 'rows' });
      return ended;
    });
    done.catch(() => undefined); // a failed chunk is reported by the task list (and as a process warning)
    return {
      signal: control.signal,
      progress: (indexed) => control.progress({ done: Math.min(indexed, pending), total: pending, unit: 'rows' }),
      ended: (outcome) =>
        end(
          outcome === 'done'
            ? undefined
            : outcome instanceof Error
              ? outcome
              : new TextbenchError('Building the search index was paused; it goes on after the next import, or when the workspace is opened again. Search finds every example meanwhile, more slowly.', 'SEARCH_INDEX_CANCELLED'),
        ),
    };
  }

  /** The named project, or the most recently used one, marked as used (store/projects.ts resolveProject). */
  private project(idOrName?: string): { id: string; name: string } {
    return resolveProject(this.ctx.db, idOrName, { use: true });
  }

  /** Format, encoding, columns, the first rows and the column guess, without importing anything. */
  previewImport(file: string, opts: ReadOptions & { rows?: number } = {}): Promise<ImportPreview> {
    return previewImport(file, opts);
  }

  /**
   * Streams the file into a project in one transaction, as a task (listed with its progress in bytes, and
   * stoppable: a stopped import leaves the workspace as it was); emits import.progress events.
   */
  importFile(file: string, opts: ImportOptions = {}, control: ImportControl = {}): Promise<ImportResult> {
    const { done } = this.ctx.tasks.run({ kind: 'import', title: `Importing ${path.basename(file)}` }, (task) => {
      const ctx = {
        ...this.ctx,
        emit: (e: WorkbenchEvent) => {
          this.ctx.emit(e);
          if (e.type === 'import.progress') task.progress(e);
        },
      };
      const signal = control.signal ? AbortSignal.any([control.signal, task.signal]) : task.signal;
      return importFile(ctx, file, opts, { ...control, signal });
    });
    return done.then((result) => {
      this.indexer.kick();
      return result;
    });
  }

  /** How many examples wait for the search index (search finds them all the same, more slowly). */
  searchIndexPending(): number {
    return this.indexer.pending();
  }

  /**
   * Builds the rest of the search index now (the CLI's import does, so that it leaves no work behind);
   * `onProgress` gets the rows indexed so far and the rows there were to index. Returns the rows indexed.
   */
  finishSearchIndex(onProgress?: (indexed: number, pending: number) => void): Promise<number> {
    return this.indexer.finish(onProgress);
  }

  /** Stops building the search index in the background (the workspace is closing; the next open goes on). */
  stopSearchIndex(): void {
    this.indexer.stop();
  }

  /**
   * Imports the sample dataset (898 job duties, 22 occupation groups) into its own project, or returns that
   * project when it is already there.
   */
  async importSample(): Promise<{ project: Project; imported: ImportResult | null }> {
    const existing = existingSample(this.ctx.db);
    if (existing) return { project: existing, imported: null };
    const imported = await importFile(this.ctx, SAMPLE_FILE, SAMPLE_IMPORT);
    return { project: getProject(this.ctx.db, imported.projectId), imported };
  }

  datasets(project?: string): Dataset[] {
    return listDatasets(this.ctx.db, this.project(project).id);
  }

  /** Removes a dataset and its examples (with their label edits) from the project. */
  deleteDataset(project: string | undefined, dataset: string): { dataset: string; examples: number } {
    return deleteDataset(this.ctx.db, this.project(project).id, dataset);
  }

  /** Labels with their counts, overall and per split, most frequent first. */
  labels(project?: string): LabelCount[] {
    return labelCounts(this.ctx.db, this.project(project).id);
  }

  review(project?: string): ReviewReport {
    const p = this.project(project);
    return reviewProject(this.ctx.db, p);
  }

  /** The review off the calling thread for large projects, with task.progress events (task `review:<project id>`). */
  async reviewInBackground(project?: string): Promise<ReviewReport> {
    const p = this.project(project);
    return reviewInBackground(this.ctx, p, countExamples(this.ctx.db, p.id));
  }

  examples(project: string | undefined, query: ExampleQuery = {}): ExamplePage {
    return queryExamples(this.ctx.db, this.project(project).id, query);
  }

  /** Changes the label of the given examples as one undoable batch. */
  relabel(project: string | undefined, exampleIds: number[], newLabel: string, author: string = defaultAuthor()): RelabelResult {
    return relabelExamples(this.ctx.db, this.project(project).id, exampleIds, newLabel, author);
  }

  /** Merges a class into another (or renames it): every example labelled `from` gets `to`, as one undoable batch. */
  relabelAll(project: string | undefined, from: string, to: string, author: string = defaultAuthor()): RelabelResult {
    const p = this.project(project);
    const ids = idsWithLabel(this.ctx.db, p.id, from);
    if (!ids.length) {
      throw new TextbenchError(`No example in project "${p.name}" has the label "${from}". See the labels with \`textbench review\`.`, 'LABEL_NOT_FOUND', { label: from });
    }
    return relabelExamples(this.ctx.db, p.id, ids, to, author);
  }

  /** Reverts a batch of changes, a relabel, removed duplicates or a re-split (default: the latest one not yet undone). */
  undo(project?: string, batchId?: string): UndoResult {
    return undoChanges(this.ctx.db, this.project(project).id, batchId);
  }

  /** Relabels every example matching a filter (the Data view's "select all N matching"), as one undoable batch. */
  relabelMatching(project: string | undefined, query: Omit<ExampleQuery, 'offset' | 'limit'>, newLabel: string, author: string = defaultAuthor()): RelabelResult {
    const p = this.project(project);
    const ids = matchingIds(this.ctx.db, p.id, query);
    if (!ids.length) throw new TextbenchError('No example matches these filters; nothing was relabelled.', 'NO_IDS');
    return relabelExamples(this.ctx.db, p.id, ids, newLabel, author);
  }

  /** Removes exact duplicates (one copy of each text and label stays, the train copy where there is one); undoable. */
  removeDuplicates(project?: string, author: string = defaultAuthor()): DataRepairResult {
    return removeDuplicates(this.ctx.db, this.project(project).id, author);
  }

  /** Moves every copy of a text shared by several splits into one split; undoable. */
  resplit(project?: string, author: string = defaultAuthor()): DataRepairResult {
    return resplitLeaks(this.ctx.db, this.project(project).id, author);
  }

  /** The audit trail: every batch of changes, newest first. */
  changes(project?: string): EditBatch[] {
    return listBatches(this.ctx.db, this.project(project).id);
  }

  /** Every label edit of the project, newest first. */
  history(project?: string): LabelEdit[] {
    return listEdits(this.ctx.db, this.project(project).id);
  }
}

function defaultAuthor(): string {
  try {
    return os.userInfo().username || 'unknown';
  } catch (err) {
    // Some containers have no passwd entry for the uid; the audit trail still needs a name.
    return process.env.USER || process.env.USERNAME || `uid-${(err as NodeJS.ErrnoException).code ?? 'unknown'}`;
  }
}
