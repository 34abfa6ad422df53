// The members of an ensemble: finished runs of one project trained on exactly the same splits (same data
// fingerprint), and their probabilities on any texts. Each member is scored by its own kept weights and text
// pipeline, so the ensemble reads every text the way each member was trained to.
import type { Db } from '../../store/db.ts';
import * as runs from '../../store/runs.ts';
import { pipelineFromJSON } from '../../text/pipeline.ts';
import { TextbenchError } from '../../errors.ts';
import { modelFromArtifacts } from '../artifacts.ts';
import { predictProbabilities } from '../loop.ts';
import type { RunSummary } from '../../../../shared/training.ts';

export interface MemberRun {
  id: string;
  name: string;
  model: string;
  labels: string[];
  dataHash: string;
  summary: RunSummary;
}

const usable = (s: RunSummary) => (s.status === 'finished' || s.status === 'stopped') && s.model !== 'ensemble' && s.validation !== null && Number.isFinite(s.validation.macroF1);

function memberRun(db: Db, id: string): MemberRun {
  const summary = runs.getRunSummary(db, id);
  const stored = runs.getRunPipeline(db, id);
  const hash = runs.getRunDataHash(db, id);
  if (!stored || !hash) throw new TextbenchError(`Run ${id} (${summary.name}) has no trained model to combine.`, 'RUN_NOT_TRAINED', { run: id, field: 'runs' });
  return { id, name: summary.name, model: summary.model, labels: stored.labels, dataHash: hash, summary };
}

/** Checks that `refs` name at least two different finished runs of `projectId` with the same labels and splits. */
export function resolveMembers(db: Db, projectId: string, refs: readonly string[]): MemberRun[] {
  const ids = [...new Set(refs.map((r) => runs.resolveRunId(db, r)))];
  if (ids.length < 2) {
    throw new TextbenchError(`An ensemble needs at least two different runs; got ${ids.length} (${refs.join(', ')}). Name them with --runs A,B.`, 'ENSEMBLE_TOO_SMALL', { field: 'runs' });
  }
  const members = ids.map((id): MemberRun => {
    const summary = runs.getRunSummary(db, id);
    if (summary.projectId !== projectId) {
      throw new TextbenchError(`Run ${id} belongs to another project; an ensemble combines runs of one project.`, 'ENSEMBLE_OTHER_PROJECT', { run: id, field: 'runs' });
    }
    if (summary.model === 'ensemble') throw new TextbenchError(`Run ${id} is itself an ensemble; name its members instead.`, 'ENSEMBLE_NESTED', { run: id, field: 'runs' });
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
 * The runs to combine when none are named: the best recurrent run by validation macro-F1 (never test), then the
 * best run of every other model trained on exactly its data and splits. Null when fewer than two qualify.
 */
export function chooseMembers(db: Db, projectId: string): string[] | null {
  const done = runs
    .listRuns(db, projectId)
    .filter(usable)
    .map((r) => ({ r, hash: runs.getRunDataHash(db, r.id) }))
    .sort((a, b) => b.r.validation!.macroF1 - a.r.validation!.macroF1);
  const anchor = done.find((x) => ['gru', 'lstm', 'bigru', 'bilstm'].includes(x.r.model)) ?? done[0];
  if (!anchor) return null;
  const picked = new Map<string, string>([[anchor.r.model, anchor.r.id]]);
  for (const x of done) if (x.hash === anchor.hash && !picked.has(x.r.model)) picked.set(x.r.model, x.r.id);
  return picked.size >= 2 ? [...picked.values()] : null;
}

/** A member's probabilities on `texts`, row-major [texts × its labels], by its kept weights on its own pipeline. */
export async function memberScores(db: Db, member: MemberRun, texts: readonly string[]): Promise<Float64Array> {
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
