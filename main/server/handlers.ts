// Maps each API request onto the Workbench facade. Shared by `textbench serve` and the Electron main process,
// so both transports run exactly the same code behind the same schemas.
import path from 'node:path';
import fs from 'node:fs';
import type { ApiHandlers, SystemInfo, TrainPreset } from '../../shared/api.ts';
import type { Workbench } from '../engine/workbench.ts';
import type { ModelRef } from '../../shared/bundle.ts';
import { TextbenchError } from '../engine/errors.ts';
import { AutoSearches, runLrFind } from './tasks.ts';

/** What only the desktop app can do (native dialogs, the file manager); absent in browser mode. */
export interface DesktopHooks {
  pickFile(title?: string): Promise<string | null>;
  pickFolder(title?: string, defaultPath?: string): Promise<string | null>;
  reveal(target: string): void;
}

export interface HandlerOptions {
  mode: 'electron' | 'browser';
  version: string;
  maxUploadBytes: number | null;
  desktop?: DesktopHooks;
}

const MODEL_PRESETS: TrainPreset[] = [
  { name: 'baseline', title: 'Baseline', kind: 'model', description: 'Embedding → global max pooling → dense: fast and smooth, the first thing to try.', defaults: { epochs: 10 } },
  { name: 'linear', title: 'Linear (TF-IDF)', kind: 'model', description: 'Hashed word and character n-grams with logistic regression: the yardstick the neural models have to beat.', defaults: { epochs: 10 } },
  { name: 'lstm', title: 'LSTM', kind: 'model', description: 'A recurrent network with long short-term memory cells.', defaults: { epochs: 10 } },
  { name: 'gru', title: 'GRU', kind: 'model', description: 'A gated recurrent network: fewer weights than an LSTM and often as good.', defaults: { epochs: 10 } },
  { name: 'bigru', title: 'BiGRU', kind: 'model', description: 'A GRU that reads the text in both directions.', defaults: { epochs: 10 } },
  { name: 'bilstm', title: 'BiLSTM', kind: 'model', description: 'An LSTM that reads the text in both directions.', defaults: { epochs: 10 } },
];

/** The model presets, then every recipe of the failure stories (from the recipes module, as they land). */
export async function trainPresets(): Promise<TrainPreset[]> {
  // Loaded lazily: recipes build models with TensorFlow.js, which the server need not load to start.
  const { RECIPES } = await import('../engine/train/recipes.ts');
  const recipes = Object.values(RECIPES).map(
    (r): TrainPreset => ({
      name: r.name,
      title: r.title,
      kind: 'recipe',
      description: r.description,
      defaults: {
        ...(r.training?.epochs ? { epochs: r.training.epochs } : {}),
        ...(r.training?.learningRate ? { learningRate: r.training.learningRate } : {}),
        ...(r.training?.batchSize ? { batchSize: r.training.batchSize } : {}),
      },
    }),
  );
  return [...MODEL_PRESETS, ...recipes];
}

function needDesktop(opts: HandlerOptions): DesktopHooks {
  if (!opts.desktop) throw new TextbenchError('This needs the desktop app; in the browser, type or upload the path instead.', 'ELECTRON_ONLY');
  return opts.desktop;
}

/** The engine's model reference from a request's run or model (the schema lets exactly one through). */
function modelRefOf(run: string | undefined, model: string | undefined): ModelRef {
  return run !== undefined ? { run } : { model: model! };
}

/** A path that does not exist yet: base, base-2, base-3, ... */
export function freePath(base: string, ext = ''): string {
  let candidate = base + ext;
  for (let i = 2; fs.existsSync(candidate); i++) candidate = `${base}-${i}${ext}`;
  return candidate;
}

export function createHandlers(wb: Workbench, opts: HandlerOptions): ApiHandlers {
  const searches = new AutoSearches(wb);
  return {
    'system.info': (): SystemInfo => ({
      mode: opts.mode,
      workspace: wb.dir,
      version: opts.version,
      platform: process.platform,
      maxUploadBytes: opts.maxUploadBytes,
    }),

    'projects.list': () => wb.projects.list(),
    'projects.open': ({ project }) => wb.projects.resolve(project),
    'projects.create': ({ name }) => wb.projects.create(name),
    'projects.rename': ({ project, name }) => wb.projects.rename(project, name),
    'projects.delete': ({ project }) => {
      const p = wb.projects.get(project);
      wb.projects.delete(p.id);
      return { deleted: p.id };
    },

    'data.preview': ({ file, ...opts }) => wb.data.previewImport(file, opts),
    'data.import': ({ file, ...opts }) => wb.data.importFile(file, opts),
    'data.datasets': ({ project }) => wb.data.datasets(project),
    'data.labels': ({ project }) => wb.data.labels(project),
    'data.review': ({ project }) => wb.data.review(project),
    'data.examples': ({ project, ...query }) => wb.data.examples(project, query),
    'data.relabel': ({ project, ids, label }) => wb.data.relabel(project, ids, label),
    'data.undo': ({ project, batchId }) => wb.data.undo(project, batchId),
    'data.history': ({ project }) => wb.data.history(project),

    'training.presets': () => trainPresets(),
    'training.start': (settings) => ({ run: wb.training.start(settings).run.id }),
    'training.stop': async ({ run }) => ({ run: (await wb.training.stop(run)).id }),
    'training.resume': ({ run }) => ({ run: wb.training.resume(run).run.id }),
    'training.list': ({ project }) => wb.training.list(project),
    'training.get': ({ run }) => wb.training.get(run),
    'training.evaluate': ({ run, split }) => wb.training.evaluate(run, split),
    'training.reliability': ({ run, split }) => wb.training.reliability(run, split),

    'training.lrFind': (options) => runLrFind(wb.dir, options),
    'training.autoStart': ({ project, budgetMinutes, trials }) => searches.start(project, budgetMinutes, trials),
    'training.autoStatus': ({ search }) => searches.get(search),
    'training.autoList': ({ project }) => searches.list(project),

    'models.export': ({ run, out, force }) => wb.models.exportRun(run, out, { force }),
    'models.classify': ({ run, model, texts }) => wb.models.classify({ ...modelRefOf(run, model), texts, source: opts.mode }),
    'models.classifyFile': ({ run, model, file, column, out }) => wb.models.classifyFile({ ...modelRefOf(run, model), file, column, out }),
    'models.list': ({ project }) => wb.models.list(project),
    'models.importBundle': ({ dir, project, name }) => wb.models.importBundle(dir, project, { name }),
    'models.suggestPath': ({ run, model, kind, file }) => {
      if (kind === 'bundle') {
        if (!run) throw new TextbenchError('Only a run can be exported as a bundle; name the run.', 'INVALID_INPUT', { model });
        // A name a person recognises in their file manager: project and model, e.g. "reviews-baseline".
        const r = wb.training.get(run);
        const project = wb.projects.get(r.projectId).name;
        const stem = `${project}-${r.model}`.replace(/[^\p{L}\p{N}._-]+/gu, '-').replace(/^-+|-+$/g, '') || run;
        return { path: freePath(path.join(wb.dir, 'bundles', stem)) };
      }
      const ref = (run ?? model)!;
      const stem = file ? path.basename(file).replace(/\.[^.]+$/, '') : 'texts';
      return { path: freePath(path.join(wb.dir, 'classified', `${stem}.${ref}`), '.csv') };
    },

    'app.pickFile': async ({ title }) => ({ path: await needDesktop(opts).pickFile(title) }),
    'app.pickFolder': async ({ title, defaultPath }) => ({ path: await needDesktop(opts).pickFolder(title, defaultPath) }),
    'app.reveal': ({ path: target }) => {
      needDesktop(opts).reveal(target);
      return { ok: true as const };
    },
  };
}
