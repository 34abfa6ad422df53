// Maps each API request onto the Workbench facade: one line per request, no engine knowledge. Shared by
// `textbench serve` (main/server) and the Electron main process (main/app), so both transports run exactly the
// same code behind the same schemas (dispatch.ts validates every call before it gets here).
import type { ApiHandlers, SystemInfo } from '../../shared/api.ts';
import type { Workbench } from '../engine/workbench.ts';
import type { ModelRef } from '../../shared/bundle.ts';
import { TextbenchError } from '../engine/errors.ts';

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

function needDesktop(opts: HandlerOptions): DesktopHooks {
  if (!opts.desktop) throw new TextbenchError('This needs the desktop app; in the browser, type or upload the path instead.', 'ELECTRON_ONLY');
  return opts.desktop;
}

/** The engine's model reference from a request's run or model (the schema lets exactly one through). */
function modelRefOf(run: string | undefined, model: string | undefined): ModelRef {
  return run !== undefined ? { run } : { model: model! };
}

export function createHandlers(wb: Workbench, opts: HandlerOptions): ApiHandlers {
  return {
    'system.info': (): SystemInfo => ({
      mode: opts.mode,
      workspace: wb.dir,
      version: opts.version,
      platform: process.platform,
      maxUploadBytes: opts.maxUploadBytes,
    }),
    'system.backends': ({ refresh }) => wb.backends({ refresh }),

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
    'data.importSample': () => wb.data.importSample(),
    'data.datasets': ({ project }) => wb.data.datasets(project),
    'data.labels': ({ project }) => wb.data.labels(project),
    'data.review': ({ project }) => wb.data.reviewInBackground(project),
    'data.examples': ({ project, ...query }) => wb.data.examples(project, query),
    'data.relabel': ({ project, ids, match, label }) => (ids ? wb.data.relabel(project, ids, label) : wb.data.relabelMatching(project, match!, label)),
    'data.undo': ({ project, batchId }) => wb.data.undo(project, batchId),
    'data.removeDuplicates': ({ project }) => wb.data.removeDuplicates(project),
    'data.resplit': ({ project }) => wb.data.resplit(project),
    'data.changes': ({ project }) => wb.data.changes(project),
    'data.history': ({ project }) => wb.data.history(project),

    'training.presets': () => wb.training.presets(),
    'training.start': (settings) => ({ run: wb.training.start(settings).run.id }),
    'training.stop': async ({ run }) => ({ run: (await wb.training.stop(run)).id }),
    'training.resume': ({ run, backend }) => ({ run: wb.training.resume(run, { backend }).run.id }),
    'training.list': ({ project }) => wb.training.list(project),
    'training.get': ({ run }) => wb.training.get(run),
    'training.rename': ({ run, name }) => wb.training.rename(run, name),
    'training.star': ({ run, starred }) => wb.training.star(run, starred),
    'training.delete': ({ run }) => wb.training.delete(run),
    'training.evaluate': ({ run, split }) => wb.training.evaluate(run, split),
    'training.reliability': ({ run, split }) => wb.training.reliability(run, split),

    'training.lrFind': (options) => wb.training.lrFind(options),
    'training.autoStart': ({ project, budgetMinutes, trials }) => wb.training.autoStart(project, budgetMinutes, trials),
    'training.autoStatus': ({ search }) => wb.training.autoStatus(search),
    'training.autoStop': ({ search }) => wb.training.autoStop(search),
    'training.autoList': ({ project }) => wb.training.autoList(project),

    'models.export': ({ run, out, force }) => wb.models.exportRun(run, out, { force }),
    'models.classify': ({ run, model, texts }) => wb.models.classify({ ...modelRefOf(run, model), texts, source: opts.mode }),
    'models.explain': ({ run, model, texts, label, k }) => wb.models.explain({ ...modelRefOf(run, model), texts, label, k }),
    'models.classifyFile': ({ run, model, file, column, out }) => wb.models.classifyFile({ ...modelRefOf(run, model), file, column, out }),
    'models.list': ({ project }) => wb.models.list(project),
    'models.importBundle': ({ dir, project, name }) => wb.models.importBundle(dir, project, { name }),
    'models.suggestPath': ({ run, model, kind, file }) => ({ path: wb.models.suggestPath(modelRefOf(run, model), kind, file) }),

    'tasks.list': ({ project }) => wb.tasks.list(project === undefined ? undefined : wb.projects.get(project).id),
    'tasks.cancel': ({ task }) => wb.tasks.cancel(task),

    'app.pickFile': async ({ title }) => ({ path: await needDesktop(opts).pickFile(title) }),
    'app.pickFolder': async ({ title, defaultPath }) => ({ path: await needDesktop(opts).pickFolder(title, defaultPath) }),
    'app.reveal': ({ path: target }) => {
      needDesktop(opts).reveal(target);
      return { ok: true as const };
    },
  };
}
