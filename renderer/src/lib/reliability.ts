// Plain words for a reliability diagram: how far "N% sure" can be taken at its word.
import type { Reliability } from '../../../shared/evaluation.ts';

export function reliabilitySummary(r: Pick<Reliability, 'examples' | 'ece' | 'overconfidence'>): string {
  if (!r.examples) return 'No predictions to judge.';
  const gap = Math.round(Math.abs(r.overconfidence) * 1000) / 10;
  const ece = (r.ece * 100).toFixed(1);
  // Under two points the gap is smaller than one prediction in fifty: nothing a person would act on.
  if (r.ece < 0.02) return `The probabilities can be taken at their word: calibration error ${ece} points.`;
  const way = r.overconfidence > 0 ? 'over-confident' : 'under-confident';
  return `The model is ${way}: on average it is ${gap} points ${r.overconfidence > 0 ? 'surer than it is right' : 'less sure than it is right'} (calibration error ${ece} points).`;
}
