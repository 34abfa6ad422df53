// The trained linear model of a run: one row, written once when the run finishes (run_linear_models).
import type { Db } from './db.ts';
import { nowIso } from './ids.ts';
import type { LinearModelJSON } from './linear-parts.ts';
import type { LinearSearchReport } from '../../../shared/linear.ts';

export interface StoredLinearModel {
  model: LinearModelJSON;
  weights: Float32Array;
  search: LinearSearchReport;
}

/** Stores (or replaces, when a stopped run is trained again) the run's model. */
export function saveLinearModel(db: Db, runId: string, m: StoredLinearModel): void {
  const weights = Buffer.from(m.weights.buffer, m.weights.byteOffset, m.weights.byteLength);
  db.prepare('INSERT OR REPLACE INTO run_linear_models (run_id, model, weights, search, created_at) VALUES (?, ?, ?, ?, ?)').run(
    runId,
    JSON.stringify(m.model),
    weights,
    JSON.stringify(m.search),
    nowIso(),
  );
}

export function loadLinearModel(db: Db, runId: string): StoredLinearModel | null {
  const r = db.prepare('SELECT model, weights, search FROM run_linear_models WHERE run_id = ?').get(runId) as { model: string; weights: Buffer; search: string } | undefined;
  if (!r) return null;
  // A copy: the blob's bytes need not be 4-byte aligned for a Float32Array view.
  const bytes = new Uint8Array(r.weights.byteLength);
  bytes.set(r.weights);
  return { model: JSON.parse(r.model) as LinearModelJSON, weights: new Float32Array(bytes.buffer), search: JSON.parse(r.search) as LinearSearchReport };
}

/** The cross-validation report alone (run details), without reading the weights. */
export function loadLinearSearch(db: Db, runId: string): LinearSearchReport | null {
  const r = db.prepare('SELECT search FROM run_linear_models WHERE run_id = ?').get(runId) as { search: string } | undefined;
  return r ? (JSON.parse(r.search) as LinearSearchReport) : null;
}
