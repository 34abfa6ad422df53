// The request names and IPC channels as plain data, without the schemas: the Electron preload imports this
// (and not api.ts, which pulls in zod) to refuse unknown names before they reach IPC. api.ts checks at compile
// time that this list and its request map are the same set.

export const API_NAME_LIST = [
  'system.info',
  'system.backends',
  'projects.list',
  'projects.open',
  'projects.create',
  'projects.rename',
  'projects.delete',
  'data.preview',
  'data.import',
  'data.importSample',
  'data.datasets',
  'data.labels',
  'data.review',
  'data.examples',
  'data.relabel',
  'data.undo',
  'data.removeDuplicates',
  'data.resplit',
  'data.changes',
  'data.history',
  'training.presets',
  'training.start',
  'training.stop',
  'training.resume',
  'training.list',
  'training.get',
  'training.rename',
  'training.star',
  'training.delete',
  'training.evaluate',
  'training.reliability',
  'training.lrFind',
  'training.autoStart',
  'training.autoStatus',
  'training.autoStop',
  'training.autoList',
  'models.export',
  'models.classify',
  'models.explain',
  'models.list',
  'models.importBundle',
  'models.classifyFile',
  'models.suggestPath',
  'tasks.list',
  'tasks.cancel',
  'app.pickFile',
  'app.pickFolder',
  'app.reveal',
] as const;

export type ApiNameFromList = (typeof API_NAME_LIST)[number];

const NAMES: ReadonlySet<string> = new Set(API_NAME_LIST);
export function isKnownApiName(name: unknown): name is ApiNameFromList {
  return typeof name === 'string' && NAMES.has(name);
}

/** IPC channel names; used only by the preload and the main process. */
export const IPC = { call: 'textbench:call', event: 'textbench:event', menu: 'textbench:menu' } as const;
