// What a confusion-matrix cell opens, and how the matrix is moved through with the keyboard.
import type { Evaluation } from '../../../shared/domain.ts';
import type { DataFilter } from './filters.ts';

/**
 * The examples behind cell (row, col): exactly those the run predicted as the column's label while their label
 * (at evaluation time) was the row's. The run stores every prediction of the split it evaluated.
 */
export function cellFilter(ev: Pick<Evaluation, 'run' | 'split' | 'confusion'>, row: number, col: number): Partial<DataFilter> {
  return { prediction: { run: ev.run, split: ev.split, label: ev.confusion.labels[row]!, predicted: ev.confusion.labels[col]! } };
}

export function mostConfidentMistakes(ev: Pick<Evaluation, 'mistakes'>, limit = 50): Evaluation['mistakes'] {
  return [...ev.mistakes].sort((a, b) => b.probability - a.probability).slice(0, limit);
}

export interface GridPos {
  row: number;
  col: number;
}

/** The cell a key moves to in an n×n grid (arrows, Home/End in the row, Ctrl+Home/End, PageUp/PageDown by `page`); null if the key does not move. */
export function moveInGrid(pos: GridPos, key: string, n: number, opts: { ctrl?: boolean; page?: number } = {}): GridPos | null {
  const clamp = (v: number) => Math.max(0, Math.min(n - 1, v));
  const page = opts.page ?? 5;
  switch (key) {
    case 'ArrowUp':
      return { row: clamp(pos.row - 1), col: pos.col };
    case 'ArrowDown':
      return { row: clamp(pos.row + 1), col: pos.col };
    case 'ArrowLeft':
      return { row: pos.row, col: clamp(pos.col - 1) };
    case 'ArrowRight':
      return { row: pos.row, col: clamp(pos.col + 1) };
    case 'Home':
      return opts.ctrl ? { row: 0, col: 0 } : { row: pos.row, col: 0 };
    case 'End':
      return opts.ctrl ? { row: n - 1, col: n - 1 } : { row: pos.row, col: n - 1 };
    case 'PageUp':
      return { row: clamp(pos.row - page), col: pos.col };
    case 'PageDown':
      return { row: clamp(pos.row + page), col: pos.col };
    default:
      return null;
  }
}

/** Where the matrix starts when tabbed into: the largest mistake (the cell most worth opening), else the top left. */
export function startCell(matrix: readonly (readonly number[])[]): GridPos {
  let best: GridPos = { row: 0, col: 0 };
  let most = 0;
  matrix.forEach((r, i) =>
    r.forEach((v, j) => {
      if (i !== j && v > most) {
        most = v;
        best = { row: i, col: j };
      }
    }),
  );
  return best;
}
