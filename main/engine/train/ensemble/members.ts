// The members of an ensemble: finished neural runs of one project trained on exactly the same splits (same data
// fingerprint), plus the linear model the ensemble fits itself on their train split (job.ts), and their
// probabilities on any texts. Each member is scored by its own kept weights and text pipeline (or TF-IDF
// vocabulary), so the ensemble reads every text the way each member was trained to.
//
// A linear run is not taken as a member: it learned from the validation split too (cross-validation chose its
// settings on train and validation together), so its validation probabilities would be fitted, not held out, and
// the weights would trust it too much.
import type { Db } from '../../store/db.ts';
import * as runs from '../../store/runs.ts';
import { pipelineFromJSON } from '../../text/pipeline.ts';
import { TextbenchError } from '../../errors.ts';
import { modelFromArtifacts } from '../artifacts.ts';
import { predictProbabilities } from '../loop.ts';
import { loadRunLinearModel } from '../linear/job.ts';
import type { RunSummary } from '../../../../shared/training.ts';

export interface MemberRun {
  id: string;
  name: string;
  model: string;
  labels: string[];
  dataHash: string;
  summary: RunSummary;
}

const RECURRENT = ['gru', 'lstm', 'bigru', 'bilstm'];
const NEURAL = ['baseline', ...RECURRENT];
const usable = (s: RunSummary) => (s.status === 'finished' || s.status === 'stopped') && NEURAL.includes(s.model) && s.validation !== null && Number.isFinite(s.validation.macroF1);

function memberRun(db: Db, id: string): MemberRun {
  const summary = runs.getRunSummary(db, id);
  const stored = runs.getRunPipeline(db, id);
  const hash = runs.getRunDataHash(db, id);
  if (!stored || !hash) throw new TextbenchError(`Run ${id} (${summary.name}) has no trained model to combine.`, 'RUN_NOT_TRAINED', { run: id, field: 'runs' });
  return { id, name: summary.name, model: summary.model, labels: stored.labels, dataHash: hash, summary };
}

/** Checks that `refs` name finished neural runs of `projectId` trained with the same labels and splits. */
export function resolveMembers(db: Db, projectId: string, refs: readonly string[]): MemberRun[] {
  const ids = [...new Set(refs.map((r) => runs.resolveRunId(db, r)))];
  if (!ids.length) throw new TextbenchError('Name the runs to combine with --runs A,B (or leave --runs out to take the best recurrent run).', 'ENSEMBLE_TOO_SMALL', { field: 'runs' });
  const members = ids.map((id): MemberRun => {
    const summary = runs.getRunSummary(db, id);
    if (summary.projectId !== projectId) {
      throw new TextbenchError(`Run ${id} belongs to another project; an ensemble combines runs of one project.`, 'ENSEMBLE_OTHER_PROJECT', { run: id, field: 'runs' });
    }
    if (summary.model === 'ensemble') throw new TextbenchError(`Run ${id} is itself an ensemble; name its members instead.`, 'ENSEMBLE_NESTED', { run: id, field: 'runs' });
    if (summary.model === 'linear') {
      throw new TextbenchError(
        `Run ${id} is a linear run: it learned from the validation split too, where the ensemble fits its weights. The ensemble trains its own ` +
          'linear member on the train split instead; name only neural runs with --runs.',
        'ENSEMBLE_LINEAR_RUN',
        { run: id, field: 'runs' },
      );
    }
    if (!usable(summary)) {
      throw new TextbenchError(`Run ${id} (${summary.name}) is ${summary.status}; an ensemble combines finished runs. Wait for it or pick another.`, 'ENSEMBLE_RUN_NOT_READY', {
        run: id,
        field: 'runs',
      });
    }
    return memberRun(db, id);
  });
  const first = members[0]!;
  for (const m of members.slice(1)) {
    const same = m.labels.length === first.labels.length && m.labels.every((l) => first.labels.includes(l));
    if (!same) {
      throw new TextbenchError(`Runs ${first.id} and ${m.id} were trained with different labels; an ensemble combines runs trained on the same data.`, 'ENSEMBLE_LABELS_MISMATCH', {
        field: 'runs',
      });
    }
    if (m.dataHash !== first.dataHash) {
      throw new TextbenchError(
        `Runs ${first.id} (${first.name}) and ${m.id} (${m.name}) were trained on different data or splits (the examples changed in between, or they ` +
          'held out different validation examples: another --seed or --validation-fraction). The ensemble fits its weights on validation examples ' +
          'that no member trained on, so its members must share their splits: train them again with the same settings.',
        'ENSEMBLE_DATA_MISMATCH',
        { field: 'runs' },
      );
    }
  }
  return members;
}

/**
 * The neural runs the ensemble may combine with the linear model when none are named: every finished recurrent
 * run trained on the same data and splits as the best recurrent run by validation macro-F1 (never test), or the
 * best neural run alone when no recurrent one finished. The ensemble job chooses among them by the validation
 * score of the combination itself (job.ts), not by each run's own score. Null when there is none.
 */
export function candidateRuns(db: Db, projectId: string): string[] | null {
  const done = runs
    .listRuns(db, projectId)
    .filter(usable)
    .sort((a, b) => b.validation!.macroF1 - a.validation!.macroF1);
  const recurrent = done.filter((r) => RECURRENT.includes(r.model));
  if (!recurrent.length) return done[0] ? [done[0].id] : null;
  const hash = runs.getRunDataHash(db, recurrent[0]!.id);
  return recurrent.filter((r) => runs.getRunDataHash(db, r.id) === hash).map((r) => r.id);
}

/** A member's probabilities on `texts`, row-major [texts × its labels], by its kept weights on its own pipeline. */
export async function memberScores(db: Db, member: Pick<MemberRun, 'id' | 'model'>, texts: readonly string[]): Promise<Float64Array> {
  if (member.model === 'linear') return loadRunLinearModel(db, member.id).predictProba(texts);
  const stored = runs.loadRunModel(db, member.id);
  const model = await modelFromArtifacts(stored.artifacts);
  try {
    const inputs = pipelineFromJSON(stored.pipeline).encode(texts, 'truncate').inputs;
    return Float64Array.from(await predictProbabilities(model, inputs));
  } finally {
    model.dispose();
  }
}

/** Reorders a member's probability columns from its label order to `labels`. */
export function alignColumns(probs: Float64Array, from: readonly string[], labels: readonly string[]): Float64Array {
  const C = labels.length;
  const at = new Map(from.map((l, j) => [l, j]));
  const cols = labels.map((l) => at.get(l)!);
  const n = probs.length / C;
  const out = new Float64Array(probs.length);
  for (let i = 0; i < n; i++) for (let c = 0; c < C; c++) out[i * C + c] = probs[i * C + cols[c]!]!;
  return out;
}
