// The one API the renderer may call, in Electron (preload → IPC) and in a browser (`textbench serve`).
// Each request has a zod schema for its input (the Node side validates every call against it before it
// reaches the engine) and a phantom output type. Free of Node and DOM imports: both sides compile it.
import { z } from 'zod';
import type { WorkbenchEvent } from './events.ts';
import type { ApiNameFromList } from './api-names.ts';
import type { Evaluation, Example, Prediction, Project, LabelEdit } from './domain.ts';
import type { Dataset } from './domain.ts';
import type { DataRepairResult, EditBatch, ExamplePage, ImportPreview, ImportResult, LabelCount, RelabelResult, ReviewReport, UndoResult } from './data.ts';
import type { RunDetail, RunSummary, TrainPreset } from './training.ts';
import { BACKEND_REQUESTS, optionsSchemaFor, TrainOptionsSchema } from './train-options.ts';
import type { Reliability } from './evaluation.ts';
import type { AutoSearchStatus, LrFindResult } from './doctor.ts';
import type { TaskInfo } from './tasks.ts';
import type { ProbeReport } from './compute.ts';
import type { TextExplanation } from './linear.ts';
import type { ClassifyFileResult as EngineClassifyFileResult, ExportResult, ModelInfo } from './bundle.ts';

/** Pairs an input schema with the output type; the `output` field only carries the type (it is null at runtime). */
function request<Out>() {
  return <S extends z.ZodType>(input: S, opts: { mode?: 'electron'; summary: string }) => ({
    input,
    output: null as unknown as Out,
    electronOnly: opts.mode === 'electron',
    summary: opts.summary,
  });
}

const projectRef = z.string().trim().min(1, 'Name the project (its name or id).');
const runRef = z.string().trim().min(1, 'Name the run (its id).');
const filePath = z.string().trim().min(1, 'Choose a file.');
const split = z.enum(['train', 'validation', 'test']);
const texts = z.array(z.string()).min(1, 'Give at least one text.').max(10_000);
/** Which model classifies: a run, or a workspace model (an imported bundle); exactly one, see oneModel. */
const modelRef = { run: runRef.optional(), model: z.string().trim().min(1, 'Name the model (its id).').optional() };
function oneModel<S extends z.ZodType<{ run?: string; model?: string }>>(schema: S) {
  return schema.refine((v) => (v.run === undefined) !== (v.model === undefined), { message: 'Name a run or a model (exactly one).', path: ['run'] });
}

export const ImportFormatSchema = z.enum(['csv', 'tsv', 'json', 'jsonl', 'xlsx']);
export const EncodingSchema = z.enum(['utf-8', 'utf-16le', 'utf-16be', 'windows-1252']);

export const ExampleQuerySchema = z.object({
  project: projectRef,
  search: z.string().max(500).optional(),
  label: z.string().optional(),
  split: split.optional(),
  /** A review check's id (e.g. "duplicates", "conflicts"): only the rows it points at. */
  flag: z.string().optional(),
  ids: z.array(z.number().int().nonnegative()).max(100_000).optional(),
  prediction: z.object({ run: runRef, split, label: z.string().optional(), predicted: z.string().optional() }).optional(),
  offset: z.number().int().nonnegative().default(0),
  limit: z.number().int().positive().max(1000).default(100),
});
export type ExampleQuery = z.input<typeof ExampleQuerySchema>;

/** The training options (train-options.ts, where every limit is stated once) with the project required. */
export const TrainSettingsSchema = TrainOptionsSchema.extend({ project: projectRef });
export type TrainSettings = z.input<typeof TrainSettingsSchema>;

export const API = {
  'system.info': request<SystemInfo>()(z.object({}), { summary: 'where the workspace is and which transport is in use' }),
  'system.backends': request<ProbeReport>()(z.object({ refresh: z.boolean().optional() }), {
    summary: 'which backends and GPU adapters this machine has and which device training uses (probed once, then kept; refresh probes again)',
  }),

  'projects.list': request<Project[]>()(z.object({}), { summary: 'every project, most recently used first' }),
  'projects.open': request<Project>()(z.object({ project: projectRef }), { summary: 'a project, marked as used now' }),
  'projects.create': request<Project>()(z.object({ name: z.string().trim().min(1, 'A project needs a name.').max(200) }), {
    summary: 'a new, empty project',
  }),
  'projects.rename': request<Project>()(z.object({ project: projectRef, name: z.string().trim().min(1).max(200) }), { summary: 'rename' }),
  'projects.delete': request<{ deleted: string }>()(z.object({ project: projectRef, confirm: z.literal(true) }), {
    summary: 'delete a project with its datasets, runs and edits',
  }),

  'data.preview': request<ImportPreview>()(
    z.object({
      file: filePath,
      format: ImportFormatSchema.optional(),
      encoding: EncodingSchema.optional(),
      sheet: z.string().optional(),
      delimiter: z.string().min(1).max(4).optional(),
      header: z.boolean().optional(),
    }),
    { summary: 'format, encoding and column guess, with the first rows' },
  ),
  'data.import': request<ImportResult>()(
    z.object({
      file: filePath,
      /** Existing project (id or name) or the name of a new one. */
      project: projectRef,
      text: z.array(z.string().min(1)).min(1, 'Pick at least one text column.'),
      label: z.string().min(1, 'Pick the label column.'),
      /** A column with train/validation/test values, or null for an automatic stratified split. */
      split: z.string().min(1).nullable().default(null),
      format: ImportFormatSchema.optional(),
      encoding: EncodingSchema.optional(),
      sheet: z.string().optional(),
      delimiter: z.string().min(1).max(4).optional(),
      header: z.boolean().optional(),
      seed: z.number().int().optional(),
      datasetName: z.string().trim().min(1).max(200).optional(),
    }),
    { summary: 'import a file into a project (one transaction), streaming import.progress events' },
  ),
  'data.importSample': request<{ project: Project; imported: ImportResult | null }>()(z.object({}), {
    summary: 'import the shipped sample dataset (job duties by occupation group) into its own project, or open it if it is there',
  }),
  'data.datasets': request<Dataset[]>()(z.object({ project: projectRef }), { summary: "a project's datasets" }),
  'data.labels': request<LabelCount[]>()(z.object({ project: projectRef }), { summary: 'labels with counts per split' }),
  'data.review': request<ReviewReport>()(z.object({ project: projectRef }), { summary: 'the review checks' }),
  'data.examples': request<ExamplePage>()(ExampleQuerySchema, { summary: 'one page of examples matching a filter' }),
  'data.relabel': request<RelabelResult>()(
    z
      .object({
        project: projectRef,
        ids: z.array(z.number().int().nonnegative()).min(1).max(100_000).optional(),
        /** Instead of ids: every example matching this filter ("select all N matching"). */
        match: ExampleQuerySchema.omit({ project: true, offset: true, limit: true }).optional(),
        label: z.string().trim().min(1),
      })
      .refine((v) => (v.ids === undefined) !== (v.match === undefined), { message: 'Give the ids or a filter to match (exactly one).', path: ['ids'] }),
    { summary: 'change labels of the given or of all matching examples (one undoable batch)' },
  ),
  'data.undo': request<UndoResult>()(z.object({ project: projectRef, batchId: z.string().optional() }), {
    summary: 'undo the last (or the named) batch of changes: a relabel, removed duplicates or a re-split',
  }),
  'data.removeDuplicates': request<DataRepairResult>()(z.object({ project: projectRef }), {
    summary: 'remove exact duplicates, keeping one copy of each text and label (one undoable batch)',
  }),
  'data.resplit': request<DataRepairResult>()(z.object({ project: projectRef }), {
    summary: 'move every copy of a text that sits in several splits into one split (one undoable batch)',
  }),
  'data.changes': request<EditBatch[]>()(z.object({ project: projectRef }), { summary: 'the audit trail: every batch of changes to the data, newest first' }),
  'data.history': request<LabelEdit[]>()(z.object({ project: projectRef }), { summary: 'the audit trail of label edits' }),

  'training.presets': request<TrainPreset[]>()(z.object({}), { summary: 'the model presets and recipes the Train view offers' }),
  'training.start': request<{ run: string }>()(TrainSettingsSchema, { summary: 'start a run in the worker; progress comes as training.* events' }),
  'training.stop': request<{ run: string }>()(z.object({ run: runRef }), { summary: 'stop a run after its current batch' }),
  'training.resume': request<{ run: string }>()(z.object({ run: runRef, backend: z.enum(BACKEND_REQUESTS).optional() }), {
    summary: 'resume a stopped or crashed run from its last checkpoint (optionally on another backend)',
  }),
  'training.list': request<RunSummary[]>()(z.object({ project: projectRef }), { summary: "a project's runs, newest first" }),
  'training.get': request<RunDetail>()(z.object({ run: runRef }), { summary: 'one run with its config, epochs, findings and actions' }),
  'training.rename': request<RunSummary>()(z.object({ run: runRef, name: z.string().trim().min(1, 'A run needs a name.').max(200) }), { summary: 'rename a run' }),
  'training.star': request<RunSummary>()(z.object({ run: runRef, starred: z.boolean() }), { summary: 'star or unstar a run' }),
  'training.delete': request<{ run: string; epochs: number; checkpoints: number; predictions: number; models: number }>()(z.object({ run: runRef, confirm: z.literal(true) }), {
    summary: 'delete a run with its curve, checkpoints, stored predictions and workspace models (exported bundle folders stay)',
  }),
  'training.evaluate': request<Evaluation>()(z.object({ run: runRef, split: split.default('test') }), { summary: "a run's evaluation on a split (its every prediction is stored)" }),
  'training.reliability': request<Reliability>()(z.object({ run: runRef, split: split.default('test') }), {
    summary: "a run's reliability diagram on a split: accuracy against confidence, and the calibration error",
  }),

  'training.lrFind': request<LrFindResult>()(
    optionsSchemaFor('lr-find').extend({
      project: projectRef,
      steps: z.number().int().min(10).max(1000).optional(),
    }),
    { summary: 'learning-rate range test: loss against learning rate and a suggested rate (in a worker)' },
  ),
  'training.autoStart': request<{ search: string }>()(
    z
      .object({ project: projectRef, budgetMinutes: z.number().positive().max(24 * 60).optional(), trials: z.number().int().positive().max(500).optional() })
      .refine((v) => v.budgetMinutes !== undefined || v.trials !== undefined, { message: 'Give a time budget (minutes) or a number of trials.', path: ['budgetMinutes'] }),
    { summary: 'start the automatic search (baseline, then random search with successive halving) in the background' },
  ),
  'training.autoStatus': request<AutoSearchStatus>()(z.object({ search: z.string().min(1) }), { summary: "an automatic search's leaderboard so far, and its result" }),
  'training.autoStop': request<AutoSearchStatus>()(z.object({ search: z.string().min(1) }), {
    summary: 'stop an automatic search: its running trial stops (keeping its best epoch) and the leaderboard so far is its result',
  }),
  'training.autoList': request<AutoSearchStatus[]>()(z.object({ project: projectRef }), { summary: "this session's automatic searches of a project" }),

  'models.export': request<ExportResult>()(z.object({ run: runRef, out: filePath, force: z.boolean().default(false) }), {
    summary: 'export a run as a bundle folder',
  }),
  'models.classify': request<Prediction[]>()(oneModel(z.object({ ...modelRef, texts })), { summary: 'classify texts with a run or a workspace model (e.g. an imported bundle)' }),
  'models.explain': request<TextExplanation[]>()(
    oneModel(
      z.object({
        ...modelRef,
        texts: z.array(z.string()).min(1, 'Give at least one text.').max(100, 'Explain at most 100 texts at a time.'),
        label: z.string().min(1).optional(),
        k: z.number().int().min(1).max(100).optional(),
      }),
    ),
    { summary: "linear models: the n-grams behind each text's label (or a given label), and per-word shares to highlight" },
  ),
  'models.list': request<ModelInfo[]>()(z.object({ project: projectRef.optional() }), { summary: 'models in the workspace (from runs and imported bundles), of one project if named' }),
  'models.importBundle': request<ModelInfo>()(
    z.object({ dir: z.string().trim().min(1, 'Give the bundle folder.'), project: projectRef.optional(), name: z.string().trim().min(1).max(200).optional() }),
    { summary: 'add a bundle folder to the workspace (and a project) as a model' },
  ),
  'models.classifyFile': request<ClassifyFileResult>()(
    oneModel(z.object({ ...modelRef, file: filePath, column: z.string().optional(), out: z.string().trim().min(1).optional() })),
    { summary: 'classify every row of a file and write CSV/JSONL with the predictions' },
  ),
  'models.suggestPath': request<{ path: string }>()(
    oneModel(z.object({ ...modelRef, kind: z.enum(['bundle', 'classified']), file: z.string().optional() })),
    { summary: 'a free default path for an export folder (of a run) or a classified-file output' },
  ),

  'tasks.list': request<TaskInfo[]>()(z.object({ project: projectRef.optional() }), {
    summary: 'long work (training, searches, compare, lr-find, batch classification, import): running first, then recently ended; task.changed events follow each change',
  }),
  'tasks.cancel': request<TaskInfo>()(z.object({ task: z.string().trim().min(1, 'Name the task (its id).') }), { summary: 'stop a running task (a run stops after its current batch and stays resumable)' }),

  'app.pickFile': request<{ path: string | null }>()(z.object({ title: z.string().optional() }), { mode: 'electron', summary: 'open-file dialog' }),
  'app.pickFolder': request<{ path: string | null }>()(z.object({ title: z.string().optional(), defaultPath: z.string().optional() }), {
    mode: 'electron',
    summary: 'choose-folder dialog',
  }),
  'app.reveal': request<{ ok: true }>()(z.object({ path: filePath }), { mode: 'electron', summary: 'show a file or folder in the file manager' }),
} as const;

export type ApiName = keyof typeof API;
export type ApiInput<N extends ApiName> = z.input<(typeof API)[N]['input']>;
/** The input after the schema's defaults are applied: what handlers receive. */
export type ApiParsed<N extends ApiName> = z.output<(typeof API)[N]['input']>;
export type ApiOutput<N extends ApiName> = (typeof API)[N]['output'];
export type ApiHandlers = { [N in ApiName]: (input: ApiParsed<N>) => Promise<ApiOutput<N>> | ApiOutput<N> };

export const API_NAMES = Object.keys(API) as ApiName[];
export function isApiName(name: unknown): name is ApiName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(API, name);
}

/** Pushed events, in both transports. */
export type ApiEvent = WorkbenchEvent;

/** What a failed call carries back to the renderer: a message for a person, a stable code, and where. */
export interface ApiError {
  message: string;
  code: string;
  details?: Record<string, unknown>;
  /** Input fields that failed validation, as "path: message". */
  issues?: string[];
}

export type ApiResponse<T> = { ok: true; result: T } | { ok: false; error: ApiError };

export interface SystemInfo {
  mode: 'electron' | 'browser';
  workspace: string;
  version: string;
  platform: string;
  /** Largest file the browser may upload, in bytes (browser mode). */
  maxUploadBytes: number | null;
}

export interface ClassifyFileResult extends EngineClassifyFileResult {
  /** Browser mode: a server-relative link (with the token) that downloads the output. */
  download?: string;
}

export type { AutoSearchStatus, TaskInfo, TrainPreset, Example, RunDetail, RunSummary, ExportResult, ModelInfo, ImportPreview, ImportResult, ReviewReport, ExamplePage, LabelCount };


// ---- The Electron preload's surface: exactly this object is exposed as `window.textbench`, nothing else.

export { VIEWS, VIEW_TITLES, type ViewName, type MenuCommand } from './views.ts';
import type { MenuCommand } from './views.ts';

export interface PreloadApi {
  readonly mode: 'electron';
  call(name: ApiName, input: unknown): Promise<ApiResponse<unknown>>;
  onEvent(listener: (event: ApiEvent) => void): () => void;
  onMenu(listener: (command: MenuCommand) => void): () => void;
  /** The absolute path of a file the user dropped or picked (Electron's webUtils.getPathForFile). */
  pathForFile(file: object): string;
}

export { IPC } from './api-names.ts';

// The preload's name list (api-names.ts) must be exactly the request map's keys.
type MissingFromList = Exclude<ApiName, ApiNameFromList>;
type ExtraInList = Exclude<ApiNameFromList, ApiName>;
export const API_NAME_LIST_MATCHES: [MissingFromList, ExtraInList] extends [never, never] ? true : never = true;
