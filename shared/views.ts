// The views of the app. In a module without schemas, so that the renderer imports them without zod.

export const VIEWS = ['projects', 'import', 'data', 'train', 'runs', 'evaluate', 'classify', 'export'] as const;
export type ViewName = (typeof VIEWS)[number];

/** What each view is called, in the app menu and the sidebar alike. */
export const VIEW_TITLES: Record<ViewName, string> = {
  projects: 'Projects',
  import: 'Import',
  data: 'Data',
  train: 'Train',
  runs: 'Runs',
  evaluate: 'Evaluate',
  classify: 'Classify',
  export: 'Export',
};

/** What the app menu asks the renderer to do. */
export type MenuCommand = { kind: 'open-file'; path: string } | { kind: 'view'; view: ViewName };
