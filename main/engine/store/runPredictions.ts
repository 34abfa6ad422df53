// Every prediction of an evaluated split (run_predictions): written once per evaluation, read by the confusion
// cells (which examples), the reliability diagram (how sure against how right) and the Data view.
import type { Db } from './db.ts';
import type { Split } from '../../../shared/domain.ts';
import type { ExamplePrediction, PredictionFilter, Reliability, ReliabilityBin } from '../../../shared/evaluation.ts';
import { TextbenchError } from '../errors.ts';

/** What one evaluation of a split produced: per example, its true class id and every class's probability. */
export interface SplitPredictions {
  split: Split;
  exampleIds: readonly number[];
  /** True class ids (index into the run's labels). */
  truth: ArrayLike<number>;
  /** Row-major probabilities, `classes` per example. */
  probabilities: ArrayLike<number>;
  classes: number;
}

/** Replaces the run's stored predictions for the split, in one transaction. */
export function saveRunPredictions(db: Db, runId: string, p: SplitPredictions): void {
  const C = p.classes;
  const insert = db.prepare(
    'INSERT INTO run_predictions (run_id, split, example_id, truth, predicted, confidence, probabilities) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  db.transaction(() => {
    db.prepare('DELETE FROM run_predictions WHERE run_id = ? AND split = ?').run(runId, p.split);
    const row = new Float32Array(C);
    for (let i = 0; i < p.exampleIds.length; i++) {
      let best = 0;
      for (let c = 0; c < C; c++) {
        row[c] = p.probabilities[i * C + c]!;
        if (row[c]! > row[best]!) best = c;
      }
      insert.run(runId, p.split, p.exampleIds[i]!, p.truth[i]!, best, row[best]!, Buffer.from(row.buffer.slice(0)));
    }
  }).immediate();
}

export function countRunPredictions(db: Db, runId: string, split: Split): number {
  return (db.prepare('SELECT COUNT(*) AS n FROM run_predictions WHERE run_id = ? AND split = ?').get(runId, split) as { n: number }).n;
}

function runLabels(db: Db, runId: string): string[] {
  const r = db.prepare('SELECT labels FROM runs WHERE id = ?').get(runId) as { labels: string | null } | undefined;
  if (!r) throw new TextbenchError(`No run "${runId}" in this workspace. Run \`textbench runs\` to list them.`, 'RUN_NOT_FOUND', { run: runId });
  return r.labels ? (JSON.parse(r.labels) as string[]) : [];
}

function labelIndex(labels: readonly string[], label: string, runId: string, field: string): number {
  const i = labels.indexOf(label);
  if (i < 0) {
    throw new TextbenchError(`Run ${runId} has no label "${label}" (its labels: ${labels.slice(0, 8).join(', ')}${labels.length > 8 ? ', …' : ''}).`, 'BAD_OPTION', { field });
  }
  return i;
}

/**
 * A SQL condition on `e.id` (examples aliased as e) for the examples behind a prediction filter, with its
 * parameters. Throws a clear error when the split has no stored predictions (evaluate the run first).
 */
export function predictionCondition(db: Db, f: PredictionFilter): { sql: string; params: Record<string, unknown> } {
  const labels = runLabels(db, f.run);
  if (!countRunPredictions(db, f.run, f.split)) {
    throw new TextbenchError(`Run ${f.run} has no stored predictions on its ${f.split} split yet. Evaluate it on that split first.`, 'NO_PREDICTIONS', { run: f.run, split: f.split });
  }
  const parts = ['run_id = @pRun', 'split = @pSplit'];
  const params: Record<string, unknown> = { pRun: f.run, pSplit: f.split };
  if (f.label !== undefined) {
    parts.push('truth = @pTruth');
    params.pTruth = labelIndex(labels, f.label, f.run, 'prediction.label');
  }
  if (f.predicted !== undefined) {
    parts.push('predicted = @pPredicted');
    params.pPredicted = labelIndex(labels, f.predicted, f.run, 'prediction.predicted');
  }
  return { sql: `e.id IN (SELECT example_id FROM run_predictions WHERE ${parts.join(' AND ')})`, params };
}

/** What the run predicted for each of the given examples on the split (absent where it has no prediction). */
export function predictionsOf(db: Db, runId: string, split: Split, exampleIds: readonly number[]): Record<number, ExamplePrediction> {
  const labels = runLabels(db, runId);
  const rows = db
    .prepare('SELECT example_id AS id, predicted, confidence FROM run_predictions WHERE run_id = ? AND split = ? AND example_id IN (SELECT value FROM json_each(?))')
    .all(runId, split, JSON.stringify(exampleIds)) as Array<{ id: number; predicted: number; confidence: number }>;
  const out: Record<number, ExamplePrediction> = {};
  for (const r of rows) out[r.id] = { label: labels[r.predicted] ?? String(r.predicted), probability: r.confidence };
  return out;
}

/**
 * The reliability diagram of a run on a split: predictions binned by their top probability into `bins` equal
 * bins over [0, 1], each with its accuracy and mean confidence, and the expected calibration error.
 */
export function reliability(db: Db, runId: string, split: Split, bins = 10): Reliability {
  const rows = db
    .prepare(
      `SELECT MIN(CAST(confidence * @bins AS INTEGER), @bins - 1) AS bin, COUNT(*) AS n, SUM(truth = predicted) AS correct, SUM(confidence) AS conf
       FROM run_predictions WHERE run_id = @run AND split = @split GROUP BY bin`,
    )
    .all({ run: runId, split, bins }) as Array<{ bin: number; n: number; correct: number; conf: number }>;
  const byBin = new Map(rows.map((r) => [r.bin, r]));
  const examples = rows.reduce((s, r) => s + r.n, 0);
  let ece = 0;
  let correct = 0;
  let conf = 0;
  const out: ReliabilityBin[] = [];
  for (let b = 0; b < bins; b++) {
    const r = byBin.get(b);
    const count = r?.n ?? 0;
    const accuracy = r ? r.correct / r.n : null;
    const confidence = r ? r.conf / r.n : null;
    if (r) {
      ece += (r.n / examples) * Math.abs(accuracy! - confidence!);
      correct += r.correct;
      conf += r.conf;
    }
    out.push({ from: b / bins, to: (b + 1) / bins, count, accuracy, confidence });
  }
  return { run: runId, split, examples, bins: out, ece, overconfidence: examples ? (conf - correct) / examples : 0 };
}
