// The training worker: owns TensorFlow.js and runs one job (train, evaluate or lr-find) for the TrainingService.
import type { WorkbenchEvent } from '../../../shared/events.ts';
import { openWorkspaceDb } from '../store/db.ts';
import { serveRequests, workerInit } from '../tasks/worker-host.ts';
import type { TrainInit, TrainJob, TrainJobEvent, TrainJobResult } from './protocol.ts';
import { runEvaluationJob, runTrainingJob } from './job.ts';
import { findLearningRate } from './lrfind.ts';

export function startTrainingWorker(): void {
  const db = openWorkspaceDb(workerInit<TrainInit>().data.workspace);
  serveRequests<TrainJob, TrainJobResult, TrainJobEvent>(
    async (req, job): Promise<{ result: TrainJobResult }> => {
      if (req.type === 'train') {
        const hooks = { emit: (event: WorkbenchEvent) => job.emit({ type: 'event', event }), shouldStop: job.cancelled, log: job.log };
        return { result: { kind: 'train', result: await runTrainingJob(db, req.run, hooks, { resume: req.resume }) } };
      }
      if (req.type === 'evaluate') return { result: { kind: 'evaluate', result: await runEvaluationJob(db, req.run, req.split, req.backend) } };
      const result = await findLearningRate(db, {
        ...req.options,
        log: job.log,
        cancelled: job.cancelled,
        onStep: (done, total) => job.emit({ type: 'progress', progress: { done, total, unit: 'batches' } }),
      });
      return { result: { kind: 'lrFind', result } };
    },
    { onShutdown: () => db.close() },
  );
}
