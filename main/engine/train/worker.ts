// The training worker: owns TensorFlow.js and runs one job at a time for the TrainingService.
import { parentPort, workerData } from 'node:worker_threads';
import { format } from 'node:util';
import { openWorkspaceDb } from '../store/db.ts';
import { isTextbenchError } from '../errors.ts';
import type { WorkerInit, WorkerMessage, WorkerRequest } from './protocol.ts';
import { runEvaluationJob, runTrainingJob } from './job.ts';
import { findLearningRate } from './lrfind.ts';

const port = parentPort;
if (!port) throw new Error('train/worker.ts must run in a worker thread (TrainingService starts it).');
const init = workerData as WorkerInit;
const stop = new Int32Array(init.stopFlag);
const post = (m: WorkerMessage) => port.postMessage(m);

// TensorFlow.js talks through console (the "install tfjs-node" banner, initializer warnings). Route it to the
// service as debug logs so it never lands in a caller's stdout (where `--json` output goes).
for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  console[level] = (...args: unknown[]) => post({ type: 'log', level: 'debug', message: format(...args) });
}

const db = openWorkspaceDb(init.workspace);

port.on('message', (req: WorkerRequest) => {
  if (req.type === 'shutdown') {
    db.close();
    port.close();
    return;
  }
  void handle(req);
});

async function handle(req: Exclude<WorkerRequest, { type: 'shutdown' }>): Promise<void> {
  try {
    if (req.type === 'train') {
      const result = await runTrainingJob(
        db,
        req.run,
        {
          emit: (event) => post({ type: 'event', event }),
          shouldStop: () => Atomics.load(stop, 0) === 1,
          log: (message) => post({ type: 'log', level: 'info', message }),
        },
        { resume: req.resume },
      );
      post({ type: 'result', id: req.id, result: { kind: 'train', result } });
    } else if (req.type === 'evaluate') {
      const result = await runEvaluationJob(db, req.run, req.split, req.backend);
      post({ type: 'result', id: req.id, result: { kind: 'evaluate', result } });
    } else {
      const result = await findLearningRate(db, { ...req.options, log: (message) => post({ type: 'log', level: 'info', message }) });
      post({ type: 'result', id: req.id, result: { kind: 'lrFind', result } });
    }
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    post({
      type: 'error',
      id: req.id,
      error: { message: e.message, code: isTextbenchError(e) ? e.code : undefined, details: isTextbenchError(e) ? e.details : undefined, stack: e.stack },
    });
  }
}

post({ type: 'ready' });
