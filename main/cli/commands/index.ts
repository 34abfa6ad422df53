import type { Command } from '../command.ts';

/** Every command, loaded lazily so that `textbench import` does not pay for TensorFlow.js. */
export const COMMANDS: Record<string, { summary: string; load: () => Promise<{ command: Command }> }> = {
  import: { summary: 'import a CSV/TSV/JSON/JSONL/XLSX file of labelled texts into a project', load: () => import('./import.ts') },
  projects: { summary: 'list, rename or delete projects', load: () => import('./projects.ts') },
  datasets: { summary: "list a project's datasets", load: () => import('./datasets.ts') },
  review: { summary: 'check the data: classes, duplicates, conflicting labels, empty/short/long texts, rare classes', load: () => import('./review.ts') },
  examples: { summary: 'list, filter and search examples', load: () => import('./examples.ts') },
  relabel: { summary: 'change the label of examples (recorded, undoable); --undo reverts', load: () => import('./relabel.ts') },
  train: { summary: 'train a model on a project (linear, baseline, lstm, gru, bilstm, bigru, auto, or --recipe)', load: () => import('./train.ts') },
  runs: { summary: 'list runs, or show one run with its curves, findings and actions', load: () => import('./runs.ts') },
  evaluate: { summary: "show a run's evaluation: accuracy, macro-F1, per-class metrics, confusion matrix", load: () => import('./evaluate.ts') },
  doctor: { summary: "the training doctor's findings on a run and what it did about them", load: () => import('./doctor.ts') },
  backends: { summary: 'show which TensorFlow.js backends load on this machine and why the others do not', load: () => import('./backends.ts') },
  'lr-find': { summary: 'learning-rate range test: loss against learning rate, and a suggested rate', load: () => import('./lr-find.ts') },
  recipes: { summary: 'list the ready-made recipes for common training problems (overfitting, plateaus, collapse)', load: () => import('./recipes.ts') },
  compare: { summary: 'train several recipes and models on the same split and print one leaderboard', load: () => import('./compare.ts') },
  export: { summary: 'export a run as a model bundle folder', load: () => import('./export.ts') },
  classify: { summary: 'classify text or a file with a bundle or a run', load: () => import('./classify.ts') },
  models: { summary: 'list the models in the workspace (from runs that classified, and imported bundles)', load: () => import('./models.ts') },
  'import-bundle': { summary: 'add an exported bundle to the workspace as a model', load: () => import('./import-bundle.ts') },
  serve: { summary: 'serve the app to a browser on 127.0.0.1 (token-protected)', load: () => import('./serve.ts') },
};
