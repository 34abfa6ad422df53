// Folds training events into what the Train view shows for one run. Pure: the rune store wraps it.
import type { ApiEvent } from '../../../shared/api.ts';
import type { DoctorAction, Finding, RunStatus, SplitMetrics, TrainingEpoch } from '../../../shared/domain.ts';

export interface LiveRun {
  run: string;
  status: RunStatus;
  epochs: TrainingEpoch[];
  /** Batch losses as [fractional epoch, loss], for the live line between epoch points. */
  batchLoss: Array<[number, number]>;
  batch: { epoch: number; batch: number; batches: number; samplesPerSecond: number } | null;
  etaSeconds: number | null;
  findings: Finding[];
  actions: DoctorAction[];
  validation: SplitMetrics | null;
  test: SplitMetrics | null;
  error: string | null;
  /** The pretraining step (--pretrain subword) before the first epoch: its last progress event, null when none. */
  pretrain: { epoch: number; epochs: number; fraction: number; tokensPerSecond: number; loss: number } | null;
  /** A run without epochs (linear): its phase and progress (features, cross-validation fits, final fit). */
  progress: { phase: string; done: number; total: number; message: string } | null;
}

export function emptyLive(run: string, status: RunStatus = 'running'): LiveRun {
  return { run, status, epochs: [], batchLoss: [], batch: null, etaSeconds: null, findings: [], actions: [], validation: null, test: null, error: null, pretrain: null, progress: null };
}

/** Keep the batch line light: at most this many points (older ones are thinned). */
export const MAX_BATCH_POINTS = 2000;

export function runOf(e: ApiEvent): string | null {
  return 'run' in e && typeof e.run === 'string' ? e.run : null;
}

export function applyEvent(live: LiveRun, e: ApiEvent): LiveRun {
  if (runOf(e) !== live.run) return live;
  switch (e.type) {
    case 'training.batch': {
      const x = e.epoch - 1 + (e.batches ? e.batch / e.batches : 0);
      let batchLoss = Number.isFinite(e.loss) ? [...live.batchLoss, [x, e.loss] as [number, number]] : live.batchLoss;
      if (batchLoss.length > MAX_BATCH_POINTS) batchLoss = batchLoss.filter((_, i) => i % 2 === 0);
      return { ...live, status: 'running', batchLoss, batch: { epoch: e.epoch, batch: e.batch, batches: e.batches, samplesPerSecond: e.samplesPerSecond }, etaSeconds: e.etaSeconds ?? live.etaSeconds };
    }
    case 'training.epoch': {
      // A rollback by the doctor replays epochs: the newer record of an epoch replaces the older one.
      const epochs = [...live.epochs.filter((x) => x.epoch !== e.metrics.epoch), e.metrics].sort((a, b) => a.epoch - b.epoch);
      return { ...live, status: 'running', epochs, etaSeconds: e.etaSeconds };
    }
    case 'training.pretrain':
      return { ...live, status: 'running', pretrain: { epoch: e.epoch, epochs: e.epochs, fraction: e.fraction, tokensPerSecond: e.tokensPerSecond, loss: e.loss } };
    case 'training.progress':
      return { ...live, status: 'running', progress: { phase: e.phase, done: e.done, total: e.total, message: e.message }, etaSeconds: e.etaSeconds };
    case 'training.finding':
      return { ...live, findings: [...live.findings, e.finding] };
    case 'training.action':
      return { ...live, actions: [...live.actions, e.action] };
    case 'run.finished':
      return { ...live, status: e.status, validation: e.validation, test: e.test, etaSeconds: 0 };
    case 'run.failed':
      return { ...live, status: 'failed', error: e.error, etaSeconds: null };
    default:
      return live;
  }
}
