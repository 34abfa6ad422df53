import os from 'node:os';
import type { EngineContext } from '../context.ts';
import type { Dataset, LabelEdit } from '../../../shared/domain.ts';
import type { ExamplePage, ExampleQuery, ImportOptions, ImportPreview, ImportResult, LabelCount, ReadOptions, RelabelResult, ReviewReport, UndoResult } from '../../../shared/data.ts';
import { resolveProject } from '../store/projects.ts';
import { deleteDataset, listDatasets } from '../store/datasets.ts';
import { idsWithLabel, labelCounts, queryExamples, registerTextFunctions } from '../store/examples.ts';
import { TextbenchError } from '../errors.ts';
import { listEdits, relabelExamples, undoBatch } from '../store/labelEdits.ts';
import { importFile, previewImport, type ImportControl } from './importer.ts';
import { reviewProject } from './review.ts';

/** Import, review, examples and label edits: the engine's public data API (CLI, app and server call these). */
export class DataService {
  constructor(protected readonly ctx: EngineContext) {
    registerTextFunctions(ctx.db);
  }

  /** The named project, or the most recently used one, marked as used (store/projects.ts resolveProject). */
  private project(idOrName?: string): { id: string; name: string } {
    return resolveProject(this.ctx.db, idOrName, { use: true });
  }

  /** Format, encoding, columns, the first rows and the column guess, without importing anything. */
  previewImport(file: string, opts: ReadOptions & { rows?: number } = {}): Promise<ImportPreview> {
    return previewImport(file, opts);
  }

  /** Streams the file into a project in one transaction; emits import.progress events (bytes). */
  importFile(file: string, opts: ImportOptions = {}, control: ImportControl = {}): Promise<ImportResult> {
    return importFile(this.ctx, file, opts, control);
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

  /** Reverts a batch of label edits (default: the latest one not yet undone). */
  undo(project?: string, batchId?: string): UndoResult {
    return undoBatch(this.ctx.db, this.project(project).id, batchId);
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
