// The training doctor in the app's words: each finding's fix as a button that does it, each action the doctor
// took as a plain sentence, and the symbols its marks get on the curves. (The CLI keeps the flags: Finding.fix.)
import type { DoctorAction, Finding, FindingKind } from '../../../shared/domain.ts';
import type { TrainingConfig } from '../../../shared/training.ts';
import type { TrainSettings } from '../../../shared/api.ts';

/** What a fix button does. */
export type Remedy =
  /** Start a new run with the shown run's settings and these changes. */
  | { kind: 'retrain'; label: string; settings: Partial<Omit<TrainSettings, 'project'>> }
  /** Run the learning-rate range test with the shown run's settings. */
  | { kind: 'lr-find'; label: string }
  /** Open the Data view on the rows a review check points at. */
  | { kind: 'review'; label: string; flag: string }
  /** Remove exact duplicates (keeping one copy of each), undoable. */
  | { kind: 'remove-duplicates'; label: string }
  /** Move every copy of a text shared by several splits into one split, undoable. */
  | { kind: 'resplit'; label: string };

function num(x: unknown): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

function rate(x: number): string {
  return Number(x.toPrecision(2)).toString();
}

/** The buttons a finding offers, most useful first (none for findings that need no action). */
export function remediesFor(f: Finding, config: Pick<TrainingConfig, 'model' | 'learningRate' | 'dropout' | 'classWeights' | 'clipNorm' | 'earlyStop'> | null): Remedy[] {
  const lr = num(f.evidence.learningRate) ?? config?.learningRate ?? null;
  switch (f.kind) {
    case 'plateau': {
      const out: Remedy[] = [];
      if (lr) out.push({ kind: 'retrain', label: `Retrain with learning rate ${rate(lr * 10)} (×10)`, settings: { learningRate: Number(rate(lr * 10)) } });
      out.push({ kind: 'lr-find', label: 'Find a learning rate for this run' });
      return out;
    }
    case 'divergence':
    case 'nan': {
      const settings: Remedy & { kind: 'retrain' } = { kind: 'retrain', label: 'Retrain with gradient clipping at 1', settings: { clipNorm: 1 } };
      if (lr) {
        settings.settings.learningRate = Number(rate(lr / 10));
        settings.label = `Retrain with learning rate ${rate(lr / 10)} (÷10) and gradient clipping at 1`;
      }
      return [settings, { kind: 'lr-find', label: 'Find a learning rate for this run' }];
    }
    case 'collapse':
    case 'imbalance':
      return config?.classWeights === 'balanced'
        ? [{ kind: 'retrain', label: 'Retrain with the top-k hardest-examples loss', settings: { loss: 'topk', k: 16 } }]
        : [{ kind: 'retrain', label: 'Retrain with balanced class weights', settings: { classWeights: 'balanced' } }];
    case 'overfitting': {
      const out: Remedy[] = [];
      if (config && config.model !== 'linear') {
        const dropout = Math.min(0.6, Math.round(((config.dropout ?? 0) + 0.2) * 10) / 10);
        out.push({ kind: 'retrain', label: `Retrain with dropout ${dropout}${config.earlyStop === 'none' ? ' and early stopping' : ''}`, settings: { dropout, ...(config.earlyStop === 'none' ? { earlyStop: 'val-loss' } : {}) } });
        out.push({ kind: 'retrain', label: 'Train the linear model to compare', settings: { model: 'linear' } });
      } else if (config?.earlyStop === 'none') {
        out.push({ kind: 'retrain', label: 'Retrain with early stopping', settings: { earlyStop: 'val-loss' } });
      }
      return out;
    }
    case 'data': {
      if (num(f.evidence.duplicatesAcrossSplits)) {
        return [
          { kind: 'remove-duplicates', label: 'Remove the duplicate copies (keeps one of each)' },
          { kind: 'resplit', label: 'Re-split: keep each text in one split' },
        ];
      }
      if (num(f.evidence.emptyTexts) !== null || num(f.evidence.nanLikeTexts) !== null) return [{ kind: 'review', label: 'Show the rows without text', flag: 'empty' }];
      if (typeof f.evidence.split === 'string') return [{ kind: 'review', label: 'Show the rare classes', flag: 'rare' }];
      return [];
    }
    default:
      return [];
  }
}

function value(v: unknown): string {
  if (v === null || v === undefined) return 'off';
  if (typeof v === 'number') return rate(v);
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

function epochOf(v: unknown): number | null {
  return v && typeof v === 'object' && 'epoch' in v ? num((v as { epoch: unknown }).epoch) : null;
}

/** One sentence per action: "Rolled back to epoch 3's weights (NaN at epoch 4)". */
export function describeAction(a: DoctorAction): string {
  const why = a.reason ? ` (${a.reason})` : '';
  switch (a.kind) {
    case 'rollback': {
      const to = epochOf(a.after);
      return to === 0 ? `Rolled back to the starting weights${why}` : `Rolled back to epoch ${to ?? value(a.after)}'s weights${why}`;
    }
    case 'lr-change':
      return `Changed the learning rate from ${value(a.before)} to ${value(a.after)}${why}`;
    case 'clip':
      return a.before === null || a.before === undefined ? `Turned on gradient clipping at norm ${value(a.after)}${why}` : `Clipped gradients at norm ${value(a.after)} (was ${value(a.before)})${why}`;
    case 'rebalance':
      return `Switched to balanced class weights${why}`;
    case 'stop':
      return `Stopped training${why}`;
    default:
      return `${String(a.kind)}: ${value(a.before)} → ${value(a.after)}${why}`;
  }
}

/** A finding's kind in words, for headings and the curves' legend. */
export const FINDING_TITLES: Record<FindingKind, string> = {
  plateau: 'Plateau',
  divergence: 'Divergence',
  nan: 'NaN',
  collapse: 'Collapse to one class',
  overfitting: 'Overfitting',
  imbalance: 'Imbalance',
  data: 'Data problem',
};

export const ACTION_TITLES: Record<DoctorAction['kind'], string> = {
  rollback: 'Rollback',
  'lr-change': 'Learning rate changed',
  clip: 'Clipping',
  rebalance: 'Rebalanced',
  stop: 'Stopped',
};

/** The symbol of a mark on the curves: findings by severity, the doctor's actions, the kept epoch. */
export function markerSymbol(tone: 'info' | 'warning' | 'error' | 'action' | 'best'): string {
  return { info: '●', warning: '▲', error: '■', action: '◆', best: '★' }[tone];
}
