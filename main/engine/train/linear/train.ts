// Training the linear model end to end: checks on the data, TF-IDF features computed once, cross-validated
// choice of feature set, loss and C, the final fit on the whole train split, and the probability calibration
// fitted on the winner's out-of-fold decision values. Deterministic: no seed goes in.
import { TextbenchError } from '../../errors.ts';
import { TfidfVectorizer, combineBlocks, DEFAULT_TFIDF, type TfidfSettings } from '../../text/tfidf.ts';
import { nnz, type CsrMatrix } from '../../text/tfidf-matrix.ts';
import { calibrationReport, fitTemperature, softmaxRows } from '../../evaluate/calibration.ts';
import type { LinearSearchReport } from '../../../../shared/linear.ts';
import { balancedWeights, fitOneVsRest, problemCount } from './ovr.ts';
import { MatrixSolver, SOLVER_DEFAULTS, type SolverOptions } from './solver.ts';
import { crossValidate, plannedFits, settingsOf, type CvResult, type FitJob, type FitRunner, type Matrices, type SearchSpace, type Setting } from './select.ts';
import { LocalRunner, type FitSettings } from './fit-runner.ts';
import { LinearModel } from './model.ts';

export interface LinearTrainOptions {
  /** Feature sets, losses and C values to choose from by cross-validation (one of each = nothing to choose). */
  search: SearchSpace;
  folds: number;
  classWeights: 'none' | 'balanced';
  tfidf: Partial<TfidfSettings>;
  /** Tolerance of the cross-validation fits, which only need to rank settings. */
  solver: SolverOptions;
  /** Tolerance of the model that is kept. */
  finalSolver: SolverOptions;
}

/**
 * The default search: what a scikit-learn user would grid-search for TF-IDF + LinearSVC / LogisticRegression.
 * C on a log grid a factor √10 apart, 0.1 to 100: the SVM's optimum on unit-length TF-IDF rows usually lies
 * near 1, logistic regression's an order of magnitude higher (its loss is gentler), so the grid covers both.
 */
export const DEFAULT_SEARCH: SearchSpace = {
  C: [0.1, 0.3, 1, 3, 10, 30, 100],
  losses: ['svm', 'lr'],
  featureSets: ['words', 'words+chars'],
};

export const DEFAULT_LINEAR: LinearTrainOptions = {
  search: DEFAULT_SEARCH,
  folds: 5,
  classWeights: 'none',
  tfidf: {},
  solver: SOLVER_DEFAULTS,
  // liblinear's eps = 0.1 leaves the SVM objective up to 2e-3 above its optimum (O*NET job descriptions, C = 1,
  // against scikit-learn at tol = 1e-4); 0.01 brings it within 2e-4 for 1.4x the passes of one fit.
  finalSolver: { eps: 0.01, maxIter: 1000 },
};

export type LinearPhase = 'features' | 'search' | 'final';

export interface LinearProgress {
  phase: LinearPhase;
  /** Fits done and planned (the search's, then the final fit). */
  done: number;
  total: number;
  message: string;
}

export interface LinearTrainResult {
  model: LinearModel;
  cv: CvResult;
  report: LinearSearchReport;
}

export interface LinearTrainHooks {
  onProgress?: (p: LinearProgress) => void;
  shouldStop?: () => boolean;
  /** Runs the cross-validation fits (default: one after another in this thread); `fits` is what the search plans. */
  runner?: (matrices: Matrices, settings: FitSettings, fits: number) => FitRunner;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Refuses data a classifier cannot learn from, naming what is wrong: fewer than two classes, or a class with a
 * single train example (it cannot be on both sides of a cross-validation split).
 */
export function checkTrainingData(labels: readonly string[], y: Int32Array, folds: number): void {
  const counts = new Array<number>(labels.length).fill(0);
  for (const c of y) counts[c]!++;
  const present = labels.filter((_, c) => counts[c]! > 0);
  if (present.length < 2) {
    throw new TextbenchError(
      `The train split has ${present.length === 1 ? `only one label ("${present[0]}")` : 'no labels'}; a classifier needs examples of at least two. Label more examples or fix the label column.`,
      'TOO_FEW_LABELS',
      { labels: present },
    );
  }
  const single = labels.filter((_, c) => counts[c] === 1);
  if (single.length) {
    const list = single.slice(0, 5).map((l) => `"${l}"`).join(', ');
    const more = single.length > 5 ? ` and ${single.length - 5} more` : '';
    throw new TextbenchError(
      `The label${single.length > 1 ? 's' : ''} ${list}${more} ha${single.length > 1 ? 've' : 's'} a single train example; ${folds}-fold cross-validation needs at least two of every label. Add examples, merge the label into another, or remove it.`,
      'CLASS_TOO_SMALL',
      { labels: single },
    );
  }
}

function emptyRows(m: CsrMatrix): number {
  let n = 0;
  for (let r = 0; r < m.rows; r++) if (m.indptr[r + 1] === m.indptr[r]) n++;
  return n;
}

/**
 * The kept model: the chosen setting on every train row, started from its first-fold dual solution (four fifths
 * of these rows), as its later folds were. Its one-vs-rest problems are independent, so with a pool of workers
 * they are shared out in ranges (each problem's solution is the same however they are grouped) and the ranges'
 * weights put side by side; otherwise they are fitted here.
 */
async function finalFit(
  runner: FitRunner,
  matrices: Matrices,
  y: Int32Array,
  classes: number,
  best: Setting,
  options: LinearTrainOptions,
  start: Float32Array | undefined,
): Promise<{ W: Float64Array; unconverged: number }> {
  const x = matrices[best.featureSet]!;
  const all = Int32Array.from({ length: x.rows }, (_, i) => i);
  const m = problemCount(classes);
  const parts = Math.min(runner.parallel ?? 1, m);
  if (parts < 2) {
    const classWeights = options.classWeights === 'balanced' ? balancedWeights(y, all, classes) : null;
    return fitOneVsRest(new MatrixSolver(x), all, y, classes, { loss: best.loss, C: best.C, classWeights, bias: 1, solver: options.finalSolver, start });
  }
  const jobs: FitJob[] = [];
  for (let p = 0; p < parts; p++) {
    const problems: [number, number] = [Math.floor((p * m) / parts), Math.floor(((p + 1) * m) / parts)];
    jobs.push({ setting: best, train: all, test: new Int32Array(0), problems, solver: options.finalSolver, ...(start ? { start } : {}) });
  }
  const outcomes = await runner.run(jobs, () => {});
  const W = new Float64Array((x.cols + 1) * m);
  jobs.forEach((job, p) => {
    const [from, to] = job.problems!;
    const part = outcomes[p]!.W!;
    const mr = to - from;
    for (let j = 0; j <= x.cols; j++) for (let c = 0; c < mr; c++) W[j * m + from + c] = part[j * mr + c]!;
  });
  return { W, unconverged: outcomes.reduce((a, o) => a + o.unconverged, 0) };
}

export async function trainLinear(
  texts: readonly string[],
  y: Int32Array,
  labels: readonly string[],
  options: LinearTrainOptions = DEFAULT_LINEAR,
  hooks: LinearTrainHooks = {},
): Promise<LinearTrainResult> {
  if (texts.length !== y.length) throw new Error(`trainLinear: ${texts.length} texts but ${y.length} labels.`);
  checkTrainingData(labels, y, options.folds);
  const classes = labels.length;
  const progress = (p: LinearProgress) => hooks.onProgress?.(p);
  const total = plannedFits(settingsOf(options.search).length, options.folds) + 1;
  const t0 = cpuMs();

  const withChars = options.search.featureSets.includes('words+chars');
  progress({ phase: 'features', done: 0, total, message: `TF-IDF features of ${texts.length} train texts` });
  const tfidf: Partial<TfidfSettings> = { ...options.tfidf, charNgrams: withChars ? (options.tfidf.charNgrams ?? DEFAULT_TFIDF.charNgrams) : null };
  const { vectorizer, blocks } = TfidfVectorizer.fit(texts, tfidf);
  const matrices: Matrices = {};
  if (options.search.featureSets.includes('words')) matrices.words = blocks.words;
  if (withChars) matrices['words+chars'] = combineBlocks(blocks);
  if (emptyRows(withChars ? matrices['words+chars']! : blocks.words) === texts.length) {
    throw new TextbenchError(
      `Every train text is empty once tokenised (no word of two or more letters or digits${withChars ? ', no characters' : ''}): there is nothing to learn from. Check that the text column is the right one.`,
      'EMPTY_FEATURES',
    );
  }
  const t1 = cpuMs();

  const fitSettings: FitSettings = { classes, labels: y, classWeights: options.classWeights, bias: 1, solver: options.solver };
  const runner: FitRunner = hooks.runner ? hooks.runner(matrices, fitSettings, total - 1) : new LocalRunner(matrices, fitSettings);
  let cv: CvResult;
  let sol: { W: Float64Array; unconverged: number };
  let t2: number;
  try {
    cv = await crossValidate(
      y,
      classes,
      options.search,
      runner,
      {
        folds: options.folds,
        classWeights: options.classWeights,
        bias: 1,
        solver: options.solver,
        shouldStop: hooks.shouldStop,
        onProgress: (p) =>
          progress({ phase: 'search', done: p.done, total: p.total + 1, message: `cross-validation: ${p.setting.featureSet}, ${p.setting.loss}, C=${p.setting.C}, fold ${p.fold + 1} of ${options.folds}` }),
      },
      // Jobs start most expensive first; a fit's work grows with its matrix's stored entries.
      (s) => nnz(matrices[s.featureSet]!),
    );
    t2 = cpuMs();
    const best = cv.best;
    progress({ phase: 'final', done: cv.cost.fits, total: cv.cost.fits + 1, message: `final fit on all ${texts.length} train texts: ${best.featureSet}, ${best.loss}, C=${best.C}` });
    sol = await finalFit(runner, matrices, y, classes, best, options, cv.dual);
  } finally {
    await runner.close?.();
  }

  const best = cv.best;
  const fits = cv.cost.fits + 1;
  const x = matrices[best.featureSet]!;
  const factor = fitTemperature(cv.oof, y, classes);
  const model = new LinearModel(best.featureSet === 'words' ? vectorizer.withoutChars() : vectorizer, [...labels], Float32Array.from(sol.W), {
    loss: best.loss,
    C: best.C,
    featureSet: best.featureSet,
    classWeights: options.classWeights,
    bias: 1,
    probability: { kind: 'temperature', a: factor },
  });
  const t3 = cpuMs();
  progress({ phase: 'final', done: fits, total: fits, message: 'done' });

  const report: LinearSearchReport = {
    folds: cv.folds,
    rows: cv.rows,
    chosen: { featureSet: best.featureSet, loss: best.loss, C: best.C },
    size: { rows: x.rows, features: x.cols, nonzeros: nnz(x) },
    vocabulary: { words: vectorizer.wordFeatures, chars: best.featureSet === 'words' ? 0 : vectorizer.charFeatures },
    calibration: { method: 'temperature', factor, ece: calibrationReport(y, softmaxRows(cv.oof, y.length, classes, factor), classes).ece },
    cost: { ...cv.cost, unconverged: cv.cost.unconverged + sol.unconverged, featuresMs: t1 - t0, searchMs: t2 - t1, finalMs: t3 - t2, totalMs: t3 - t0 },
  };
  return { model, cv, report };
}
