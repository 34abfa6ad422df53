// Runs, their per-epoch curves and their checkpoints. Every multi-row write is one transaction.
import type { Db } from './db.ts';
import { newId, nowIso } from './ids.ts';
import { TextbenchError } from '../errors.ts';
import type { DoctorAction, Evaluation, Finding, RunStatus, SplitMetrics, TrainingEpoch } from '../../../shared/domain.ts';
import type { RunDetail, RunSummary, TrainingConfig } from '../../../shared/training.ts';
import type { DeviceInfo } from '../../../shared/compute.ts';
import type { PipelineJSON } from '../text/types.ts';
import type * as tf from '@tensorflow/tfjs';
import { effectiveStatus, thisProcess } from './owners.ts';
import { loadLinearSearch } from './linearModels.ts';

/**
 * A model as plain data: TensorFlow.js layers-format topology, weight specs and one weight buffer.
 * Pure tfjs in Node has no file:// handler, so checkpoints, the models table and bundles all use this.
 */
export interface ModelArtifactsData {
  topology: object;
  weightSpecs: tf.io.WeightsManifestEntry[];
  weights: Buffer;
}

interface RunRow {
  id: string;
  project_id: string;
  name: string;
  model: string;
  config: string;
  backend: string | null;
  /** JSON DeviceInfo: what the run trained on (migration 5). */
  device: string | null;
  status: RunStatus;
  data_hash: string | null;
  pipeline: string | null;
  labels: string | null;
  epochs: number;
  best_epoch: number | null;
  metrics: string | null;
  evaluation: string | null;
  findings: string;
  actions: string;
  error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  starred: number;
  /** The process training the run (migration 10; store/owners.ts), and when it last said so. */
  owner: string | null;
  heartbeat_at: string | null;
}

export interface RunMetrics {
  validation: SplitMetrics | null;
  test: SplitMetrics | null;
}

/** runs.config holds the resolved TrainingConfig plus where validation data came from. */
/** What an ensemble run fitted (train/ensemble/job.ts): its member runs with their weights and temperatures. */
export interface EnsembleFit {
  /** Label order of the combined probabilities. */
  labels: string[];
  members: Array<{ run: string; name: string; model: string; weight: number; temperature: number; validationLoss: number }>;
  /** Validation log-loss of the combination. */
  validationLoss: number;
}

export type StoredConfig = TrainingConfig & { validationSource?: RunDetail['validationSource']; ensemble?: EnsembleFit };

const SUMMARY_COLUMNS =
  'id, project_id, name, model, status, backend, device, epochs, best_epoch, metrics, error, created_at, started_at, finished_at, starred, owner, heartbeat_at';

function parse<T>(json: string | null, fallback: T): T {
  return json ? (JSON.parse(json) as T) : fallback;
}

function toSummary(
  r: Pick<RunRow, 'id' | 'project_id' | 'name' | 'model' | 'status' | 'backend' | 'device' | 'epochs' | 'best_epoch' | 'metrics' | 'error' | 'created_at' | 'started_at' | 'finished_at' | 'starred' | 'owner' | 'heartbeat_at'>,
): RunSummary {
  const m = parse<RunMetrics>(r.metrics, { validation: null, test: null });
  return {
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    model: r.model,
    // Queued or running, but the process that trains it is gone: say so (the next start-up stores it).
    status: effectiveStatus(r.status, r.owner, r.heartbeat_at),
    backend: r.backend,
    device: parse<DeviceInfo | null>(r.device, null),
    epochs: r.epochs,
    bestEpoch: r.best_epoch,
    validation: m.validation ?? null,
    test: m.test ?? null,
    error: r.error,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    starred: r.starred === 1,
  };
}

/** A new queued run, owned from its first moment by this process (store/owners.ts). */
export function createRun(db: Db, input: { projectId: string; name: string; model: string; config: StoredConfig }): string {
  const id = newId('run');
  const now = nowIso();
  db.prepare('INSERT INTO runs (id, project_id, name, model, config, status, created_at, owner, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
    id,
    input.projectId,
    input.name,
    input.model,
    JSON.stringify(input.config),
    'queued',
    now,
    thisProcess().id,
    now,
  );
  return id;
}

/** A run by exact id, by unique id prefix, by unique name, or "latest" (the newest run of the workspace). */
export function resolveRunId(db: Db, ref: string): string {
  if (ref === 'latest' || ref === 'last') {
    const row = db.prepare('SELECT id FROM runs ORDER BY created_at DESC, rowid DESC LIMIT 1').get() as { id: string } | undefined;
    if (!row) throw new TextbenchError('This workspace has no runs yet. Train one: `textbench train`.', 'NO_RUNS');
    return row.id;
  }
  const exact = db.prepare('SELECT id FROM runs WHERE id = ?').get(ref) as { id: string } | undefined;
  if (exact) return exact.id;
  const matches = db.prepare("SELECT id FROM runs WHERE id LIKE ? ESCAPE '\\' OR name = ? LIMIT 3").all(ref.replace(/[\\%_]/g, '\\$&') + '%', ref) as Array<{ id: string }>;
  if (matches.length === 1) return matches[0]!.id;
  if (matches.length > 1) {
    throw new TextbenchError(`"${ref}" matches several runs (${matches.map((m) => m.id).join(', ')}, …). Give the full run id.`, 'RUN_AMBIGUOUS', { run: ref });
  }
  throw new TextbenchError(`No run "${ref}" in this workspace. Run \`textbench runs\` to list them.`, 'RUN_NOT_FOUND', { run: ref });
}

function row(db: Db, id: string): RunRow {
  const r = db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
  if (!r) throw new TextbenchError(`No run "${id}" in this workspace. Run \`textbench runs\` to list them.`, 'RUN_NOT_FOUND', { run: id });
  return r;
}

export function listRuns(db: Db, projectId?: string): RunSummary[] {
  const rows = projectId
    ? db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM runs WHERE project_id = ? ORDER BY created_at DESC, rowid DESC`).all(projectId)
    : db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM runs ORDER BY created_at DESC, rowid DESC`).all();
  return (rows as RunRow[]).map(toSummary);
}

export function getRunSummary(db: Db, id: string): RunSummary {
  return toSummary(row(db, id));
}

export function getRunConfig(db: Db, id: string): StoredConfig {
  return JSON.parse(row(db, id).config) as StoredConfig;
}

export function getRunPipeline(db: Db, id: string): { pipeline: PipelineJSON; labels: string[] } | null {
  const r = row(db, id);
  if (!r.pipeline || !r.labels) return null;
  return { pipeline: JSON.parse(r.pipeline) as PipelineJSON, labels: JSON.parse(r.labels) as string[] };
}

/** Fingerprint of the data a run trained and was evaluated on (null before it started). */
export function getRunDataHash(db: Db, id: string): string | null {
  return row(db, id).data_hash;
}

export function listEpochs(db: Db, id: string): TrainingEpoch[] {
  return (db.prepare('SELECT metrics FROM run_epochs WHERE run_id = ? ORDER BY epoch').all(id) as Array<{ metrics: string }>).map(
    (r) => JSON.parse(r.metrics) as TrainingEpoch,
  );
}

export function getRunDetail(db: Db, id: string): RunDetail {
  const r = row(db, id);
  const config = JSON.parse(r.config) as StoredConfig;
  const pipeline = parse<PipelineJSON | null>(r.pipeline, null);
  const hasCheckpoint = !!db.prepare('SELECT 1 FROM run_checkpoints WHERE run_id = ? LIMIT 1').get(id);
  const linear = loadLinearSearch(db, id);
  return {
    ...toSummary(r),
    config,
    labels: parse<string[]>(r.labels, []),
    pipeline: linear
      ? { tokens: `tf-idf ${linear.chosen.featureSet}`, inputDim: linear.size.features, sequenceLength: 0 }
      : pipeline
        ? {
            tokens: pipeline.options.tokens,
            inputDim: pipeline.options.tokens === 'ngrams' ? ((pipeline.extra?.buckets as unknown[] | undefined)?.length ?? 0) + 2 : pipeline.vocabulary.length,
            sequenceLength: pipeline.sequenceLength,
          }
        : null,
    linear,
    validationSource: config.validationSource ?? null,
    curve: listEpochs(db, id),
    findings: parse<Finding[]>(r.findings, []),
    actions: parse<DoctorAction[]>(r.actions, []),
    evaluation: parse<Evaluation | null>(r.evaluation, null),
    hasCheckpoint,
  };
}

export function getStoredEvaluation(db: Db, id: string): Evaluation | null {
  return parse<Evaluation | null>(row(db, id).evaluation, null);
}

export function markRunStarted(
  db: Db,
  id: string,
  info: { backend: string; device: DeviceInfo; pipeline: PipelineJSON | null; labels: string[]; dataHash: string; config: StoredConfig; findings: Finding[] },
): void {
  db.prepare(
    `UPDATE runs SET status = 'running', backend = ?, device = ?, pipeline = ?, labels = ?, data_hash = ?, config = ?, findings = ?,
       error = NULL, finished_at = NULL, started_at = COALESCE(started_at, ?) WHERE id = ?`,
  ).run(info.backend, JSON.stringify(info.device), info.pipeline ? JSON.stringify(info.pipeline) : null, JSON.stringify(info.labels), info.dataHash, JSON.stringify(info.config), JSON.stringify(info.findings), nowIso(), id);
}

export function markRunQueued(db: Db, id: string): void {
  db.prepare("UPDATE runs SET status = 'queued', error = NULL, finished_at = NULL WHERE id = ?").run(id);
}

export interface EpochRecord {
  metrics: TrainingEpoch;
  bestEpoch: number;
  findings: Finding[];
  actions: DoctorAction[];
  /** The 'last' checkpoint; `best` too when this epoch is the new best. */
  checkpoint: { artifacts: ModelArtifactsData; state: unknown; best: boolean };
}

/** One epoch's curve point, checkpoint(s) and the run's counters, in one transaction. */
export function recordEpoch(db: Db, id: string, rec: EpochRecord): void {
  const epoch = rec.metrics.epoch;
  const put = db.prepare(
    `INSERT INTO run_checkpoints (run_id, kind, epoch, topology, weight_specs, weights, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(run_id, kind) DO UPDATE SET epoch = excluded.epoch, topology = excluded.topology, weight_specs = excluded.weight_specs,
       weights = excluded.weights, state = excluded.state, created_at = excluded.created_at`,
  );
  // IMMEDIATE: take the write lock before reading, so that a writer in another process makes this wait
  // rather than fail (a deferred transaction that read first cannot write after another one committed).
  db.transaction(() => {
    db.prepare('INSERT OR REPLACE INTO run_epochs (run_id, epoch, metrics) VALUES (?, ?, ?)').run(id, epoch, JSON.stringify(rec.metrics));
    // A resumed run replays from its last checkpoint: curve points after it belong to the abandoned attempt.
    db.prepare('DELETE FROM run_epochs WHERE run_id = ? AND epoch > ?').run(id, epoch);
    const { artifacts, state, best } = rec.checkpoint;
    const args = [JSON.stringify(artifacts.topology), JSON.stringify(artifacts.weightSpecs), artifacts.weights, JSON.stringify(state), nowIso()] as const;
    put.run(id, 'last', epoch, ...args);
    if (best) put.run(id, 'best', epoch, ...args);
    db.prepare('UPDATE runs SET epochs = ?, best_epoch = ?, findings = ?, actions = ? WHERE id = ?').run(
      epoch,
      rec.bestEpoch || null,
      JSON.stringify(rec.findings),
      JSON.stringify(rec.actions),
      id,
    );
  }).immediate();
}

export interface StoredCheckpoint {
  epoch: number;
  artifacts: ModelArtifactsData;
  state: unknown;
}

export function loadCheckpoint(db: Db, id: string, kind: 'last' | 'best'): StoredCheckpoint | null {
  const r = db.prepare('SELECT epoch, topology, weight_specs, weights, state FROM run_checkpoints WHERE run_id = ? AND kind = ?').get(id, kind) as
    | { epoch: number; topology: string; weight_specs: string; weights: Buffer; state: string }
    | undefined;
  if (!r) return null;
  return {
    epoch: r.epoch,
    artifacts: { topology: JSON.parse(r.topology) as object, weightSpecs: JSON.parse(r.weight_specs), weights: r.weights },
    state: JSON.parse(r.state) as unknown,
  };
}

export function finishRun(
  db: Db,
  id: string,
  result: { status: 'finished' | 'stopped'; epochs: number; bestEpoch: number; metrics: RunMetrics; evaluation: Evaluation | null; findings: Finding[]; actions: DoctorAction[] },
): void {
  db.prepare(
    'UPDATE runs SET status = ?, epochs = ?, best_epoch = ?, metrics = ?, evaluation = ?, findings = ?, actions = ?, error = NULL, finished_at = ? WHERE id = ?',
  ).run(
    result.status,
    result.epochs,
    result.bestEpoch || null,
    JSON.stringify(result.metrics),
    result.evaluation ? JSON.stringify(result.evaluation) : null,
    JSON.stringify(result.findings),
    JSON.stringify(result.actions),
    nowIso(),
    id,
  );
}

export function failRun(db: Db, id: string, error: string): void {
  db.prepare("UPDATE runs SET status = 'failed', error = ?, finished_at = ? WHERE id = ?").run(error, nowIso(), id);
}

export function setRunConfig(db: Db, id: string, config: StoredConfig): void {
  db.prepare('UPDATE runs SET config = ? WHERE id = ?').run(JSON.stringify(config), id);
}

/**
 * What an export needs to rebuild the trained classifier: the weights the run ended with ('best' checkpoint:
 * the early-stopping winner, or the last epoch without early stopping), its text pipeline and label order.
 */
export function loadRunModel(db: Db, id: string): { artifacts: ModelArtifactsData; epoch: number; pipeline: PipelineJSON; labels: string[]; summary: RunSummary; config: StoredConfig } {
  const summary = getRunSummary(db, id);
  const ckpt = loadCheckpoint(db, id, 'best') ?? loadCheckpoint(db, id, 'last');
  const pl = getRunPipeline(db, id);
  if (summary.model === 'ensemble') {
    throw new TextbenchError(
      `Run ${id} is an ensemble: it has no weights of its own but combines its member runs (see \`textbench runs ${id}\`). Classify with the best member, or evaluate the ensemble with \`textbench evaluate ${id}\`.`,
      'RUN_IS_ENSEMBLE',
      { run: id },
    );
  }
  if (!ckpt || !pl) {
    throw new TextbenchError(
      `Run ${id} has no trained weights yet (status: ${summary.status}). Train it to at least one epoch, or pick another run.`,
      'RUN_NOT_TRAINED',
      { run: id },
    );
  }
  return { artifacts: ckpt.artifacts, epoch: ckpt.epoch, pipeline: pl.pipeline, labels: pl.labels, summary, config: getRunConfig(db, id) };
}
