// Shapes run histories into the column arrays uPlot draws (x first, then one array per series).
import type { DoctorAction, Finding, TrainingEpoch } from '../../../shared/domain.ts';
import { ACTION_TITLES, FINDING_TITLES, describeAction, markerSymbol } from './doctor.ts';

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
  /** What the legend calls it: "Plateau", "Learning rate changed", "Best epoch kept". */
  kind: string;
  tone: 'info' | 'warning' | 'error' | 'action' | 'best';
  /** The tooltip: the finding's message or the action in plain words. */
  text: string;
}

/** Findings, the doctor's actions and the epoch whose weights were kept, as marks on the epoch axis. */
export function curveMarkers(findings: readonly Finding[], actions: readonly DoctorAction[], kept: number | null = null): CurveMarker[] {
  const marks: CurveMarker[] = [
    // Data findings are about the data, before epoch 1: they are listed, not drawn.
    ...findings.filter((f) => f.epochs[1] > 0).map((f) => ({ epoch: f.epochs[0], to: f.epochs[1], kind: FINDING_TITLES[f.kind] ?? f.kind, tone: f.severity, text: f.message })),
    ...actions.map((a) => ({ epoch: a.epoch, to: a.epoch, kind: ACTION_TITLES[a.kind] ?? a.kind, tone: 'action' as const, text: describeAction(a) })),
    ...(kept ? [{ epoch: kept, to: kept, kind: 'Weights kept', tone: 'best' as const, text: `The run keeps the weights of epoch ${kept}` }] : []),
  ];
  return marks.sort((a, b) => a.epoch - b.epoch);
}

/** The legend under a chart: each kind of mark once, with its symbol. */
export function markerLegend(marks: readonly CurveMarker[]): Array<{ symbol: string; tone: CurveMarker['tone']; kind: string }> {
  const seen = new Map<string, { symbol: string; tone: CurveMarker['tone']; kind: string }>();
  for (const m of marks) if (!seen.has(`${m.tone}:${m.kind}`)) seen.set(`${m.tone}:${m.kind}`, { symbol: markerSymbol(m.tone), tone: m.tone, kind: m.kind });
  return [...seen.values()];
}

/** Seconds left, from the mean time of the epochs done so far. */
export function etaSeconds(history: readonly TrainingEpoch[], totalEpochs: number | null): number | null {
  if (!totalEpochs || !history.length) return null;
  const mean = history.reduce((s, e) => s + e.seconds, 0) / history.length;
  const done = Math.max(...history.map((e) => e.epoch));
  return Math.max(0, (totalEpochs - done) * mean);
}
