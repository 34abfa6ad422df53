// What a confusion-matrix cell opens: the exact mistakes behind an off-diagonal cell, or for a diagonal
// cell the examples of that class in the split (the evaluation lists mistakes, not every correct example).
import type { Evaluation, Split } from '../../../shared/domain.ts';
import type { DataFilter } from './filters.ts';

export function cellFilter(ev: Pick<Evaluation, 'mistakes' | 'confusion'>, split: Split, row: number, col: number): Partial<DataFilter> {
  const truth = ev.confusion.labels[row]!;
  const predicted = ev.confusion.labels[col]!;
  if (row === col) return { label: truth, split };
  const ids = ev.mistakes.filter((m) => m.label === truth && m.predicted === predicted).map((m) => m.exampleId);
  return { ids, split };
}

export function mostConfidentMistakes(ev: Pick<Evaluation, 'mistakes'>, limit = 50): Evaluation['mistakes'] {
  return [...ev.mistakes].sort((a, b) => b.probability - a.probability).slice(0, limit);
}
