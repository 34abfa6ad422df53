// A cross-validation fit worker (fit-pool.ts starts it): it loads the feature matrices, shared read-only
// with the other workers, into its own solver and runs the fits it is sent.
import { parentPort, workerData } from 'node:worker_threads';
import { MatrixSolver } from './solver.ts';
import { runFit } from './fit-runner.ts';
import type { FitWorkerInit, FitWorkerReply, FitWorkerRequest } from './fit-pool.ts';
import type { FeatureSet } from './select.ts';

const port = parentPort;
if (!port) throw new Error('fit-worker.ts must run in a worker thread (fit-pool.ts starts it).');
const init = workerData as FitWorkerInit;
const solvers = new Map<FeatureSet, MatrixSolver>();

function solverFor(featureSet: FeatureSet): MatrixSolver {
  let s = solvers.get(featureSet);
  if (!s) {
    const m = init.matrices[featureSet];
    if (!m) throw new Error(`No feature matrix for ${featureSet}.`);
    solvers.set(featureSet, (s = new MatrixSolver(m)));
  }
  return s;
}

port.on('message', (req: FitWorkerRequest) => {
  if (req.type === 'close') {
    port.close();
    return;
  }
  let reply: FitWorkerReply;
  try {
    const out = runFit(solverFor(req.job.setting.featureSet), req.job, init.settings);
    reply = { type: 'done', id: req.id, outcome: out };
    port.postMessage(reply, [out.decisions.buffer as ArrayBuffer, ...(out.dual ? [out.dual.buffer as ArrayBuffer] : []), ...(out.W ? [out.W.buffer as ArrayBuffer] : [])]);
  } catch (err) {
    reply = { type: 'error', id: req.id, message: err instanceof Error ? err.message : String(err) };
    port.postMessage(reply);
  }
});
port.postMessage({ type: 'ready' } satisfies FitWorkerReply);
