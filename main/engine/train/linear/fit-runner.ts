// Where the cross-validation fits run. LocalRunner fits one after another in this thread; every fit is
// independent (no warm starts, select.ts says why), so a pool of worker threads can share them out.
import { balancedWeights, decisionValues, fitOneVsRest } from './ovr.ts';
import { MatrixSolver, type SolverOptions } from './solver.ts';
import { SearchStopped, type FeatureSet, type FitJob, type FitOutcome, type FitRunner, type Matrices } from './select.ts';

export interface FitSettings {
  classes: number;
  /** Class of each train row. */
  labels: Int32Array;
  classWeights: 'none' | 'balanced';
  bias: number;
  solver: SolverOptions;
}

/** One cross-validation fit: train on job.train, return the decision values of job.test. */
export function runFit(solver: MatrixSolver, job: FitJob, s: FitSettings): FitOutcome {
  const classWeights = s.classWeights === 'balanced' ? balancedWeights(s.labels, job.train, s.classes) : null;
  const sol = fitOneVsRest(solver, job.train, s.labels, s.classes, {
    loss: job.setting.loss,
    C: job.setting.C,
    classWeights,
    bias: s.bias,
    solver: job.solver ?? s.solver,
    start: job.start,
    keepDual: job.keepDual,
    problems: job.problems,
  });
  const passes = sol.iterations.reduce((a, b) => a + b, 0);
  if (job.problems) return { decisions: new Float64Array(0), W: sol.W, passes, unconverged: sol.unconverged };
  return {
    decisions: decisionValues(solver.x, job.test, sol.W, s.classes, s.bias),
    ...(sol.dual ? { dual: sol.dual } : {}),
    passes,
    unconverged: sol.unconverged,
  };
}

export class LocalRunner implements FitRunner {
  private readonly solvers = new Map<FeatureSet, MatrixSolver>();

  constructor(
    private readonly matrices: Matrices,
    private readonly settings: FitSettings,
  ) {}

  solverFor(featureSet: FeatureSet): MatrixSolver {
    let s = this.solvers.get(featureSet);
    if (!s) {
      const x = this.matrices[featureSet];
      if (!x) throw new Error(`No feature matrix for ${featureSet}.`);
      this.solvers.set(featureSet, (s = new MatrixSolver(x)));
    }
    return s;
  }

  async run(jobs: readonly FitJob[], onDone: (index: number) => void, shouldStop?: () => boolean): Promise<FitOutcome[]> {
    const out: FitOutcome[] = [];
    for (let j = 0; j < jobs.length; j++) {
      if (shouldStop?.()) throw new SearchStopped();
      out.push(runFit(this.solverFor(jobs[j]!.setting.featureSet), jobs[j]!, this.settings));
      onDone(j);
    }
    return out;
  }
}
