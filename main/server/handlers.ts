// Maps each API request onto the Workbench facade. Shared by `textbench serve` and the Electron main process,
// so both transports run exactly the same code behind the same schemas.
import path from 'node:path';
import fs from 'node:fs';
import type { ApiHandlers, SystemInfo } from '../../shared/api.ts';
import type { Workbench } from '../engine/workbench.ts';
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

function notYet(what: string): never {
  throw new TextbenchError(`${what} is not available in this build of Textbench yet.`, 'NOT_AVAILABLE');
}

function needDesktop(opts: HandlerOptions): DesktopHooks {
  if (!opts.desktop) throw new TextbenchError('This needs the desktop app; in the browser, type or upload the path instead.', 'ELECTRON_ONLY');
  return opts.desktop;
}

/** A path that does not exist yet: base, base-2, base-3, ... */
export function freePath(base: string, ext = ''): string {
  let candidate = base + ext;
  for (let i = 2; fs.existsSync(candidate); i++) candidate = `${base}-${i}${ext}`;
  return candidate;
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

    'projects.list': () => wb.projects.list(),
    'projects.open': ({ project }) => wb.projects.resolve(project),
    'projects.create': ({ name }) => wb.projects.create(name),
    'projects.rename': ({ project, name }) => wb.projects.rename(project, name),
    'projects.delete': ({ project }) => {
      const p = wb.projects.get(project);
      wb.projects.delete(p.id);
      return { deleted: p.id };
    },

    'data.preview': () => notYet('Import preview'),
    'data.import': () => notYet('Import'),
    'data.datasets': () => notYet('Datasets'),
    'data.labels': () => notYet('Labels'),
    'data.review': () => notYet('Review'),
    'data.examples': () => notYet('Examples'),
    'data.relabel': () => notYet('Relabel'),
    'data.undo': () => notYet('Undo'),
    'data.history': () => notYet('History'),

    'training.presets': () => notYet('Training'),
    'training.start': () => notYet('Training'),
    'training.stop': () => notYet('Training'),
    'training.resume': () => notYet('Training'),
    'training.list': () => notYet('Runs'),
    'training.get': () => notYet('Runs'),
    'training.evaluate': () => notYet('Evaluation'),

    'models.export': () => notYet('Export'),
    'models.classify': () => notYet('Classification'),
    'models.classifyFile': () => notYet('Classification'),
    'models.list': () => notYet('Models'),
    'models.suggestPath': ({ run, kind, file }) => {
      if (kind === 'bundle') return { path: freePath(path.join(wb.dir, 'bundles', run)) };
      const stem = file ? path.basename(file).replace(/\.[^.]+$/, '') : 'texts';
      return { path: freePath(path.join(wb.dir, 'classified', `${stem}.${run}`), '.csv') };
    },

    'app.pickFile': async ({ title }) => ({ path: await needDesktop(opts).pickFile(title) }),
    'app.pickFolder': async ({ title, defaultPath }) => ({ path: await needDesktop(opts).pickFolder(title, defaultPath) }),
    'app.reveal': ({ path: target }) => {
      needDesktop(opts).reveal(target);
      return { ok: true as const };
    },
  };
}
