import type { Db } from './db.ts';
import type { Prediction } from '../../../shared/domain.ts';
import { nowIso, sha256 } from './ids.ts';

export interface StoredPrediction {
  id: number;
  modelId: string;
  textHash: string;
  label: string;
  probability: number;
  probabilities: Record<string, number>;
  source: string;
  createdAt: string;
}

interface PredictionRow {
  id: number;
  model_id: string;
  text_hash: string;
  label: string;
  probability: number;
  probabilities: string;
  source: string;
  created_at: string;
}

/** The hash predictions are keyed by: sha256 of the text exactly as classified. */
export function textHash(text: string): string {
  return sha256(text);
}

/** Stores a batch of predictions in one transaction; returns how many rows were written. */
export function insertPredictions(db: Db, modelId: string, predictions: readonly Prediction[], source: string): number {
  const stmt = db.prepare(
    'INSERT INTO predictions (model_id, text_hash, label, probability, probabilities, source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const now = nowIso();
  db.transaction(() => {
    for (const p of predictions) stmt.run(modelId, textHash(p.text), p.label, p.probability, JSON.stringify(p.probabilities), source, now);
  }).immediate();
  return predictions.length;
}

export function listPredictions(db: Db, modelId: string, options: { textHash?: string; limit?: number } = {}): StoredPrediction[] {
  const rows = (
    options.textHash
      ? db.prepare('SELECT * FROM predictions WHERE model_id = ? AND text_hash = ? ORDER BY id LIMIT ?').all(modelId, options.textHash, options.limit ?? 1000)
      : db.prepare('SELECT * FROM predictions WHERE model_id = ? ORDER BY id LIMIT ?').all(modelId, options.limit ?? 1000)
  ) as PredictionRow[];
  return rows.map((r) => ({
    id: r.id,
    modelId: r.model_id,
    textHash: r.text_hash,
    label: r.label,
    probability: r.probability,
    probabilities: JSON.parse(r.probabilities) as Record<string, number>,
    source: r.source,
    createdAt: r.created_at,
  }));
}

export function countPredictions(db: Db, modelId?: string): number {
  const row = (modelId
    ? db.prepare('SELECT COUNT(*) AS n FROM predictions WHERE model_id = ?').get(modelId)
    : db.prepare('SELECT COUNT(*) AS n FROM predictions').get()) as { n: number };
  return row.n;
}
