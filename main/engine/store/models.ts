import type { Db } from './db.ts';
import type { BundleManifest, ModelInfo } from '../../../shared/bundle.ts';
import { loadLinearModel } from './linearModels.ts';
import { linearParts } from './linear-parts.ts';
import type { PipelineJSON } from '../text/types.ts';
import { newId, nowIso } from './ids.ts';
import { TextbenchError } from '../errors.ts';
import { resolveRunId } from './runs.ts';

/** One row of the models table as SQLite returns it. */
interface ModelRow {
  id: string;
  project_id: string | null;
  run_id: string | null;
  name: string;
  source: 'run' | 'bundle';
  bundle_path: string | null;
  manifest: string;
  topology: string;
  weight_specs: string;
  weights: Buffer;
  vocab: string;
  checksum: string;
  metrics: string | null;
  created_at: string;
}

/** What a model row holds besides its identity: everything needed to classify without the bundle folder. */
export interface StoredModel {
  info: ModelInfo;
  manifest: BundleManifest;
  topology: Record<string, unknown>;
  weightSpecs: unknown[];
  weights: Buffer;
  pipeline: PipelineJSON;
}

export interface NewModel {
  projectId: string | null;
  runId: string | null;
  name: string;
  source: 'run' | 'bundle';
  bundlePath: string | null;
  manifest: BundleManifest;
  topology: object;
  weightSpecs: unknown[];
  weights: Buffer;
  pipeline: PipelineJSON;
  checksum: string;
  metrics: Record<string, unknown> | null;
}

const INFO_COLUMNS = 'id, project_id, run_id, name, source, bundle_path, manifest, checksum, metrics, created_at';

function toInfo(r: Pick<ModelRow, 'id' | 'project_id' | 'run_id' | 'name' | 'source' | 'bundle_path' | 'manifest' | 'checksum' | 'metrics' | 'created_at'>): ModelInfo {
  const manifest = JSON.parse(r.manifest) as BundleManifest;
  return {
    id: r.id,
    name: r.name,
    projectId: r.project_id,
    runId: r.run_id,
    source: r.source,
    bundlePath: r.bundle_path,
    labels: manifest.labels,
    checksum: r.checksum,
    metrics: r.metrics === null ? null : (JSON.parse(r.metrics) as Record<string, unknown>),
    createdAt: r.created_at,
  };
}

export function insertModel(db: Db, m: NewModel): ModelInfo {
  const id = newId('mdl');
  db.prepare(
    `INSERT INTO models (id, project_id, run_id, name, source, bundle_path, manifest, topology, weight_specs, weights, vocab, checksum, metrics, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    id,
    m.projectId,
    m.runId,
    m.name,
    m.source,
    m.bundlePath,
    JSON.stringify(m.manifest),
    JSON.stringify(m.topology),
    JSON.stringify(m.weightSpecs),
    m.weights,
    JSON.stringify(m.pipeline),
    m.checksum,
    m.metrics === null ? null : JSON.stringify(m.metrics),
    nowIso(),
  );
  return getModelInfo(db, id);
}

export function findModelInfo(db: Db, idOrName: string): ModelInfo | undefined {
  const row = db.prepare(`SELECT ${INFO_COLUMNS} FROM models WHERE id = ? OR name = ? ORDER BY created_at DESC LIMIT 1`).get(idOrName, idOrName) as ModelRow | undefined;
  return row && toInfo(row);
}

export function getModelInfo(db: Db, idOrName: string): ModelInfo {
  const info = findModelInfo(db, idOrName);
  if (!info) {
    throw new TextbenchError(
      `No model "${idOrName}" in this workspace. Import a bundle with \`textbench import-bundle DIR\`, or classify with --run RUN or --bundle DIR.`,
      'MODEL_NOT_FOUND',
      { model: idOrName },
    );
  }
  return info;
}

/** The model row made from a run's weights with this exact checksum, if one exists. */
export function findRunModel(db: Db, runId: string, checksum: string): ModelInfo | undefined {
  const row = db.prepare(`SELECT ${INFO_COLUMNS} FROM models WHERE run_id = ? AND source = 'run' AND checksum = ? LIMIT 1`).get(runId, checksum) as ModelRow | undefined;
  return row && toInfo(row);
}

export function findBundleModel(db: Db, checksum: string, projectId: string | null): ModelInfo | undefined {
  const row = db
    .prepare(`SELECT ${INFO_COLUMNS} FROM models WHERE source = 'bundle' AND checksum = ? AND project_id IS ? LIMIT 1`)
    .get(checksum, projectId) as ModelRow | undefined;
  return row && toInfo(row);
}

export function loadStoredModel(db: Db, id: string): StoredModel {
  const r = db.prepare('SELECT * FROM models WHERE id = ?').get(id) as ModelRow | undefined;
  if (!r) throw new TextbenchError(`No model "${id}" in this workspace.`, 'MODEL_NOT_FOUND', { model: id });
  return {
    info: toInfo(r),
    manifest: JSON.parse(r.manifest) as BundleManifest,
    topology: JSON.parse(r.topology) as Record<string, unknown>,
    weightSpecs: JSON.parse(r.weight_specs) as unknown[],
    weights: r.weights,
    pipeline: JSON.parse(r.vocab) as PipelineJSON,
  };
}

export function listModels(db: Db, projectId?: string): ModelInfo[] {
  const rows = projectId
    ? (db.prepare(`SELECT ${INFO_COLUMNS} FROM models WHERE project_id = ? ORDER BY created_at DESC`).all(projectId) as ModelRow[])
    : (db.prepare(`SELECT ${INFO_COLUMNS} FROM models ORDER BY created_at DESC`).all() as ModelRow[]);
  return rows.map(toInfo);
}

// ---- Runs, read through the columns the training contract documents (runs, run_checkpoints).

export interface RunForExport {
  id: string;
  projectId: string;
  name: string;
  model: string;
  status: string;
  config: Record<string, unknown>;
  backend: string | null;
  dataHash: string | null;
  pipeline: PipelineJSON;
  labels: string[];
  metrics: Record<string, unknown> | null;
  checkpoint: { kind: 'best' | 'last'; epoch: number; topology: Record<string, unknown>; weightSpecs: unknown[]; weights: Buffer };
}

interface RunRow {
  id: string;
  project_id: string;
  name: string;
  model: string;
  status: string;
  config: string;
  backend: string | null;
  data_hash: string | null;
  pipeline: string | null;
  labels: string | null;
  metrics: string | null;
}

interface CheckpointRow {
  kind: 'best' | 'last';
  epoch: number;
  topology: string;
  weight_specs: string;
  weights: Buffer;
}

/**
 * A run (by id, unique id prefix, name or "latest", as the runs store resolves it) with the weights of its best
 * checkpoint (or the one asked for); refuses runs that have none yet.
 */
export function readRunForExport(db: Db, runId: string, kind?: 'best' | 'last'): RunForExport {
  const id = resolveRunId(db, runId);
  const r = db
    .prepare('SELECT id, project_id, name, model, status, config, backend, data_hash, pipeline, labels, metrics FROM runs WHERE id = ?')
    .get(id) as RunRow;
  const linear = loadLinearModel(db, r.id);
  if (linear) {
    // A linear run keeps one exact model, in the same parts shape as a checkpoint (store/linear-parts.ts).
    const parts = linearParts(linear.model, linear.weights);
    return {
      ...runFields(r),
      pipeline: parts.pipeline,
      labels: linear.model.labels,
      checkpoint: { kind: 'best', epoch: 0, topology: parts.topology, weightSpecs: parts.weightSpecs, weights: parts.weights },
    };
  }
  const cps = db.prepare('SELECT kind, epoch, topology, weight_specs, weights FROM run_checkpoints WHERE run_id = ?').all(r.id) as CheckpointRow[];
  const cp = kind ? cps.find((c) => c.kind === kind) : (cps.find((c) => c.kind === 'best') ?? cps.find((c) => c.kind === 'last'));
  if (!cp || !r.pipeline || !r.labels) {
    throw new TextbenchError(
      `Run ${r.id} has no ${kind ? `"${kind}" ` : ''}saved weights yet (status: ${r.status}). ` +
        'Wait until it has finished at least one epoch, or train it again with `textbench train`.',
      'RUN_NOT_READY',
      { run: r.id, status: r.status },
    );
  }
  return {
    ...runFields(r),
    pipeline: JSON.parse(r.pipeline) as PipelineJSON,
    labels: JSON.parse(r.labels) as string[],
    checkpoint: {
      kind: cp.kind,
      epoch: cp.epoch,
      topology: JSON.parse(cp.topology) as Record<string, unknown>,
      weightSpecs: JSON.parse(cp.weight_specs) as unknown[],
      weights: cp.weights,
    },
  };
}

function runFields(r: RunRow): Omit<RunForExport, 'pipeline' | 'labels' | 'checkpoint'> {
  return {
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    model: r.model,
    status: r.status,
    config: JSON.parse(r.config) as Record<string, unknown>,
    backend: r.backend,
    dataHash: r.data_hash,
    metrics: r.metrics === null ? null : (JSON.parse(r.metrics) as Record<string, unknown>),
  };
}

/**
 * Identifies the checkpoint readRunForExport would pick (best, else last) without reading its weights, so a
 * caller can tell cheaply whether the weights it holds for a run are still current.
 */
export function runCheckpointStamp(db: Db, runRef: string): { runId: string; stamp: string | null } {
  const runId = resolveRunId(db, runRef);
  const linear = db.prepare('SELECT created_at FROM run_linear_models WHERE run_id = ?').get(runId) as { created_at: string } | undefined;
  if (linear) return { runId, stamp: `linear:${linear.created_at}` };
  const rows = db.prepare('SELECT kind, epoch, created_at FROM run_checkpoints WHERE run_id = ?').all(runId) as Array<{ kind: string; epoch: number; created_at: string }>;
  const cp = rows.find((r) => r.kind === 'best') ?? rows.find((r) => r.kind === 'last');
  return { runId, stamp: cp ? `${cp.kind}:${cp.epoch}:${cp.created_at}` : null };
}
