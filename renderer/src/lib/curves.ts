// Shapes run histories into the column arrays uPlot draws (x first, then one array per series).
import type { DoctorAction, Finding, TrainingEpoch } from '../../../shared/domain.ts';

export type Series = (number | null)[];
export type AlignedData = [number[], ...Series[]];

export type CurveMetric = 'loss' | 'accuracy';

function clean(x: number | undefined): number | null {
  return x === undefined || !Number.isFinite(x) ? null : x;
}

/** [epochs, train, validation] for loss or accuracy; NaN/Inf become gaps rather than wrecking the scale. */
export function epochCurves(history: readonly TrainingEpoch[], metric: CurveMetric): AlignedData {
  const sorted = [...history].sort((a, b) => a.epoch - b.epoch);
  const x = sorted.map((e) => e.epoch);
  if (metric === 'loss') return [x, sorted.map((e) => clean(e.trainLoss)), sorted.map((e) => clean(e.validationLoss))];
  return [x, sorted.map((e) => clean(e.trainAccuracy)), sorted.map((e) => clean(e.validationAccuracy))];
}

/** Live batch losses within the running epoch, as fractional epochs (epoch - 1 + batch / batches). */
export function batchPoint(epoch: number, batch: number, batches: number): number {
  return epoch - 1 + (batches > 0 ? batch / batches : 0);
}

export interface RunCurve {
  id: string;
  history: readonly TrainingEpoch[];
}

export type OverlayMetric = 'validationLoss' | 'validationAccuracy' | 'trainLoss' | 'trainAccuracy' | 'validationMacroF1';

/** One series per run over the union of their epochs, null where a run has no such epoch. */
export function overlay(runs: readonly RunCurve[], metric: OverlayMetric): AlignedData {
  const epochs = [...new Set(runs.flatMap((r) => r.history.map((e) => e.epoch)))].sort((a, b) => a - b);
  const series = runs.map((r) => {
    const byEpoch = new Map(r.history.map((e) => [e.epoch, e]));
    return epochs.map((ep) => clean(byEpoch.get(ep)?.[metric]));
  });
  return [epochs, ...series];
}

export interface CurveMarker {
  epoch: number;
  /** Epoch range end (findings span a range; actions are a point). */
  to: number;
  kind: string;
  tone: 'info' | 'warning' | 'error' | 'action';
  text: string;
}

/** Findings and doctor actions as marks on the epoch axis. */
export function curveMarkers(findings: readonly Finding[], actions: readonly DoctorAction[]): CurveMarker[] {
  const marks: CurveMarker[] = [
    ...findings.map((f) => ({ epoch: f.epochs[0], to: f.epochs[1], kind: f.kind, tone: f.severity, text: f.message })),
    ...actions.map((a) => ({
      epoch: a.epoch,
      to: a.epoch,
      kind: a.kind,
      tone: 'action' as const,
      text: `${a.kind}: ${JSON.stringify(a.before)} → ${JSON.stringify(a.after)}${a.reason ? ` (${a.reason})` : ''}`,
    })),
  ];
  return marks.sort((a, b) => a.epoch - b.epoch);
}

/** Seconds left, from the mean time of the epochs done so far. */
export function etaSeconds(history: readonly TrainingEpoch[], totalEpochs: number | null): number | null {
  if (!totalEpochs || !history.length) return null;
  const mean = history.reduce((s, e) => s + e.seconds, 0) / history.length;
  const done = Math.max(...history.map((e) => e.epoch));
  return Math.max(0, (totalEpochs - done) * mean);
}
