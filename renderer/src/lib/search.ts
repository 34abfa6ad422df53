// The automatic search's trials in plain words ("GRU, 2 layers of 64 units, …" rather than "gru 2×64u emb64
// drop0.3 lr0.002 b32 ce"), and its leaderboard as the app shows it.
import type { LeaderboardEntry } from '../../../shared/doctor.ts';

const FAMILY: Record<string, string> = { linear: 'Linear (TF-IDF)', baseline: 'Baseline', lstm: 'LSTM', gru: 'GRU', bilstm: 'BiLSTM', bigru: 'BiGRU' };
const LOSS: Record<string, string> = { ce: 'plain loss', 'class-weighted': 'balanced class weights', topk: 'hardest-examples loss' };

export function trialTitle(settings: LeaderboardEntry['settings']): string {
  const model = String(settings.model ?? '');
  const family = FAMILY[model] ?? model;
  if (settings.defaults) return `${family} with its default settings`;
  const parts: string[] = [];
  const n = (k: string) => (typeof settings[k] === 'number' ? (settings[k] as number) : null);
  if (n('units')) parts.push(`${n('layers') ?? 1} layer${(n('layers') ?? 1) > 1 ? 's' : ''} of ${n('units')} units`);
  if (model !== 'linear' && n('embeddingDim')) parts.push(`${n('embeddingDim')}-dim word vectors`);
  if (model !== 'linear' && n('dropout') !== null) parts.push(n('dropout') ? `dropout ${n('dropout')}` : 'no dropout');
  if (n('learningRate')) parts.push(`learning rate ${n('learningRate')}`);
  if (n('batchSize')) parts.push(`batches of ${n('batchSize')}`);
  if (typeof settings.loss === 'string') parts.push(LOSS[settings.loss] ?? settings.loss);
  return parts.length ? `${family}: ${parts.join(', ')}` : family;
}

/** Best first by validation macro-F1 (the only split the search judges on), one row per run. */
export function leaderboard(entries: readonly LeaderboardEntry[]): LeaderboardEntry[] {
  const byRun = new Map<string, LeaderboardEntry>();
  const loose: LeaderboardEntry[] = [];
  for (const e of entries) {
    if (e.run) byRun.set(e.run, e);
    else loose.push(e);
  }
  return [...byRun.values(), ...loose].sort((a, b) => (b.validation?.macroF1 ?? -1) - (a.validation?.macroF1 ?? -1));
}
