import fs from 'node:fs';
import path from 'node:path';
import type { EngineContext } from '../context.ts';
import type {
  ClassifyFileRequest,
  ClassifyFileResult,
  ClassifyRequest,
  ExplainRequest,
  ExportOptions,
  ExportResult,
  ModelEvaluation,
  ModelInfo,
  ModelRef,
} from '../../../shared/bundle.ts';
import type { Prediction } from '../../../shared/domain.ts';
import type { TextExplanation } from '../../../shared/linear.ts';
import { TextbenchError } from '../errors.ts';
import { classificationReport } from '../evaluate/metrics.ts';
import { getProject } from '../store/projects.ts';
import { listSplitExamples } from '../store/examples.ts';
import * as models from '../store/models.ts';
import * as runs from '../store/runs.ts';
import { insertPredictions } from '../store/predictions.ts';
import { renderBundle, writeBundle, type BundleContents, type WriteBundleOptions } from './writer.ts';
import { readBundle } from './reader.ts';
import type { ModelParts } from './model-parts.ts';
import { defaultOutPath } from './batch.ts';
import { sha256Hex, topologyInputs, type WeightSpec } from './format.ts';
import type { ClassifyEvent, ClassifyJob, ClassifyResult, ModelSource } from './protocol.ts';
import type { RequestOptions } from '../tasks/worker-client.ts';
import { ClassifyClient } from './classify-client.ts';
import { makeSelfTest, selfTestTexts } from './selftest.ts';
import { writeEnsembleBundle, type EnsembleMemberFiles } from './ensemble-writer.ts';
import { alignColumns } from '../train/ensemble/members.ts';
import { ensembleProbabilities } from '../train/ensemble/combine.ts';
import { isLinearTopology } from '../store/linear-parts.ts';

/** Where a request's model comes from, and where its predictions go (null: a bare bundle, nothing is stored). */
interface Resolved {
  source: ModelSource;
  modelId: string | null;
}

function refCount(ref: { run?: string; model?: string; bundle?: string }): number {
  return [ref.run, ref.model, ref.bundle].filter((v) => v !== undefined && v !== '').length;
}

/**
 * Models, export bundles and classification. TensorFlow.js work runs in a classification worker
 * (bundle/worker.ts), so that classifying a big file never blocks the Electron main thread or the server;
 * this side reads and writes the workspace (models, predictions) and streams progress as task.progress events.
 */
export class ModelService {
  /** The classification worker (one per backend). */
  private readonly worker = new ClassifyClient();
  /** Model keys the worker holds (most recently used last), so their weights are not sent again. */
  private known: string[] = [];
  private knownGeneration = -1;
  /** The models row of each run's current checkpoint, by run id. */
  private readonly runModels = new Map<string, { stamp: string; info: ModelInfo }>();
  private static readonly CACHE_SIZE = 3;
  /** Ensemble runs' bundle folders being exported (ensembleBundle), so that two requests export once. */
  private readonly ensembleExports = new Map<string, Promise<string>>();

  constructor(protected readonly ctx: EngineContext) {}

  /** Lines TensorFlow.js printed in the worker (kept short; shown with TEXTBENCH_DEBUG). */
  get logs(): readonly string[] {
    return this.worker.logs;
  }

  /** The TensorFlow.js backend classification uses (--backend); default: the best one that loads. */
  useBackend(name: string | undefined): void {
    if (this.worker.useBackend(name)) this.known = [];
  }

  private async ask<K extends ClassifyResult['kind']>(body: ClassifyJob, kind: K, options: RequestOptions<ClassifyEvent> = {}): Promise<Extract<ClassifyResult, { kind: K }>> {
    try {
      return await this.worker.ask(body, kind, options);
    } catch (err) {
      // The worker may not have kept a model it failed on: send its parts again next time.
      if ('source' in body && body.source.kind === 'parts') this.known = this.known.filter((k) => k !== (body.source as { key: string }).key);
      throw err;
    }
  }

  /** A source for a workspace model: its parts are sent only if the worker does not hold them yet. */
  private partsSource(key: string, parts: () => ModelParts): ModelSource {
    const generation = this.worker.start();
    if (generation !== this.knownGeneration) {
      this.known = [];
      this.knownGeneration = generation;
    }
    const at = this.known.indexOf(key);
    if (at >= 0) {
      this.known.splice(at, 1);
      this.known.push(key);
      return { kind: 'parts', key, parts: null };
    }
    this.known.push(key);
    while (this.known.length > ModelService.CACHE_SIZE) this.worker.notify({ type: 'evict', key: this.known.shift()! });
    return { kind: 'parts', key, parts: parts() };
  }

  private runContents(run: models.RunForExport): BundleContents {
    return {
      name: `${run.name}`,
      artifacts: {
        topology: run.checkpoint.topology,
        weightSpecs: run.checkpoint.weightSpecs as WeightSpec[],
        weights: run.checkpoint.weights,
      },
      pipeline: run.pipeline,
      labels: run.labels,
      inputs: topologyInputs(run.checkpoint.topology),
      model: { type: run.model, config: linearChoice(run.checkpoint.topology) ? { ...run.config, chosen: linearChoice(run.checkpoint.topology) } : run.config },
      training: {
        run: run.id,
        project: run.projectId,
        dataHash: run.dataHash,
        backend: run.backend,
        epoch: run.checkpoint.epoch,
        checkpoint: run.checkpoint.kind,
      },
      metrics: run.metrics,
      createdBy: 'Textbench',
    };
  }

  /** Writes a run's model as a bundle folder. Checks that the bundle loads before it is put in place. */
  async exportRun(runRef: string, out: string, options: ExportOptions & Pick<WriteBundleOptions, 'afterFile'> = {}): Promise<ExportResult> {
    const runId = runs.resolveRunId(this.ctx.db, runRef);
    const fit = runs.getRunConfig(this.ctx.db, runId).ensemble;
    if (fit) return this.exportEnsemble(runId, fit, out, options);
    const run = models.readRunForExport(this.ctx.db, runId, options.checkpoint);
    const { contents } = await this.checkedContents(run);
    const written = await writeBundle(out, contents, { force: options.force, afterFile: options.afterFile });
    return { bundle: written.dir, files: written.files, sha256: written.sha256 };
  }

  /**
   * An ensemble run as one bundle folder: each member run as a complete bundle (with its own self-test) in a
   * sub-folder, and a manifest with the fitted weights and temperatures (bundle/ensemble.ts).
   */
  private async exportEnsemble(runId: string, fit: runs.EnsembleFit, out: string, options: ExportOptions): Promise<ExportResult> {
    const summary = runs.getRunSummary(this.ctx.db, runId);
    const members: EnsembleMemberFiles[] = [];
    const checked: Array<{ parts: ModelParts; labels: string[]; texts: string[] }> = [];
    for (const m of fit.members) {
      const run = models.readRunForExport(this.ctx.db, m.run, m.run === runId ? undefined : options.checkpoint);
      // The ensemble's own linear member is kept under the ensemble's run id: its bundle says what it is.
      const { contents, parts } = await this.checkedContents(m.run === runId ? { ...run, model: 'linear', name: `${run.name}: ${m.name}` } : run);
      members.push({ type: m.model, weight: m.weight, temperature: m.temperature, files: renderBundle(contents).files });
      checked.push({ parts, labels: run.labels, texts: contents.selfTest!.texts });
    }
    // The ensemble's own self-test: the members' self-test texts, scored by every member and combined with the
    // fitted weights and temperatures, so that a load with an edited weight or temperature is refused.
    const texts = [...new Set(checked.flatMap((c) => c.texts.slice(0, 8)))].slice(0, 32);
    const aligned: Float64Array[] = [];
    for (const c of checked) {
      const { probabilities } = await this.ask({ type: 'check', source: { kind: 'parts', key: `check-${c.parts.origin}`, parts: c.parts }, texts }, 'check');
      aligned.push(alignColumns(Float64Array.from(probabilities!), c.labels, fit.labels));
    }
    const combined = ensembleProbabilities(aligned, { weights: fit.members.map((m) => m.weight), temperatures: fit.members.map((m) => m.temperature) }, fit.labels.length);
    const written = await writeEnsembleBundle(
      out,
      {
        name: summary.name,
        labels: fit.labels,
        members,
        config: { members: fit.members.map((m) => ({ run: m.run, name: m.name, model: m.model })), validationLoss: fit.validationLoss },
        training: { run: runId, project: summary.projectId, dataHash: runs.getRunDataHash(this.ctx.db, runId) ?? '', backend: summary.backend ?? '', epoch: 0, checkpoint: 'best' },
        metrics: { validation: summary.validation, test: summary.test },
        selfTest: makeSelfTest(texts, combined, fit.labels),
      },
      { force: options.force },
    );
    return { bundle: written.dir, files: written.files, sha256: written.sha256 };
  }

  /** A run's bundle contents with its self-test, after building its network once in the classification worker. */
  private async checkedContents(run: models.RunForExport): Promise<{ contents: BundleContents; parts: ModelParts }> {
    const contents = this.runContents(run);
    const { manifest } = renderBundle(contents);
    // Build the network once before writing anything (a bundle that cannot load is never written), and record
    // its answers to the self-test texts, which every load of the bundle checks again.
    const parts: ModelParts = { origin: `run ${run.id}`, manifest, topology: run.checkpoint.topology, weightSpecs: contents.artifacts.weightSpecs as WeightSpec[], weights: run.checkpoint.weights, pipeline: run.pipeline };
    const texts = selfTestTexts(run.pipeline, run.labels);
    const { probabilities } = await this.ask({ type: 'check', source: { kind: 'parts', key: `check-${run.id}`, parts }, texts }, 'check');
    contents.selfTest = makeSelfTest(texts, probabilities!, run.labels);
    return { contents, parts };
  }

  /** The models row for a run's current weights, created on first use. */
  private modelForRun(runRef: string): { info: ModelInfo; parts: ModelParts } {
    const run = models.readRunForExport(this.ctx.db, runRef);
    const contents = this.runContents(run);
    const checksum = sha256Hex(
      Buffer.concat([
        Buffer.from(JSON.stringify(run.checkpoint.topology)),
        Buffer.from(JSON.stringify(run.checkpoint.weightSpecs)),
        run.checkpoint.weights,
        Buffer.from(JSON.stringify(run.pipeline)),
        Buffer.from(JSON.stringify(run.labels)),
      ]),
    );
    const { manifest } = renderBundle(contents);
    const info =
      models.findRunModel(this.ctx.db, run.id, checksum) ??
      models.insertModel(this.ctx.db, {
        projectId: run.projectId,
        runId: run.id,
        name: `${run.name} (epoch ${run.checkpoint.epoch})`,
        source: 'run',
        bundlePath: null,
        manifest,
        topology: run.checkpoint.topology,
        weightSpecs: run.checkpoint.weightSpecs,
        weights: run.checkpoint.weights,
        pipeline: run.pipeline,
        checksum,
        metrics: run.metrics,
      });
    return {
      info,
      parts: { origin: `run ${run.id}`, manifest, topology: run.checkpoint.topology, weightSpecs: run.checkpoint.weightSpecs as WeightSpec[], weights: run.checkpoint.weights, pipeline: run.pipeline },
    };
  }

  /**
   * The bundle folder of an ensemble run, exported once into the workspace (ensemble-bundles/) and exported again
   * when the fit or a member's kept weights change (the folder's name carries a hash of both). Predictions of an
   * ensemble are not stored: it has no model row of its own.
   */
  private async ensembleBundle(runId: string, fit: runs.EnsembleFit): Promise<string> {
    const stamps = fit.members.map((m) => models.runCheckpointStamp(this.ctx.db, m.run).stamp);
    const key = sha256Hex(Buffer.from(JSON.stringify({ fit, stamps }))).slice(0, 16);
    const dir = path.join(this.ctx.dir, 'ensemble-bundles', `${runId}-${key}`);
    if (fs.existsSync(path.join(dir, 'manifest.json'))) return dir;
    let pending = this.ensembleExports.get(dir);
    if (!pending) {
      pending = this.exportEnsemble(runId, fit, dir, { force: true }).then(
        () => dir,
        (err: unknown) => {
          this.ensembleExports.delete(dir);
          throw err;
        },
      );
      this.ensembleExports.set(dir, pending);
    }
    return pending;
  }

  private async resolve(ref: { run?: string; model?: string; bundle?: string }): Promise<Resolved> {
    if (refCount(ref) !== 1) {
      throw new TextbenchError('Say which model classifies: exactly one of --run RUN, --stored MODEL or --bundle DIR.', 'CLASSIFY_MODEL_REQUIRED');
    }
    if (ref.bundle) return { source: { kind: 'bundle', dir: path.resolve(ref.bundle) }, modelId: null };
    if (ref.run) {
      const fit = runs.getRunConfig(this.ctx.db, runs.resolveRunId(this.ctx.db, ref.run)).ensemble;
      // An ensemble classifies through its bundle (each member a complete bundle, combined by the fitted weights).
      if (fit) return { source: { kind: 'bundle', dir: await this.ensembleBundle(runs.resolveRunId(this.ctx.db, ref.run), fit) }, modelId: null };
    }
    if (ref.run) {
      // Reading and hashing a run's weights costs milliseconds per call; skip it while its checkpoint is unchanged.
      const { runId, stamp } = models.runCheckpointStamp(this.ctx.db, ref.run);
      const hit = this.runModels.get(runId);
      if (hit && stamp !== null && hit.stamp === stamp) {
        return { source: this.partsSource(hit.info.id, () => this.modelForRun(runId).parts), modelId: hit.info.id };
      }
      const { info, parts } = this.modelForRun(runId);
      if (stamp !== null) this.runModels.set(runId, { stamp, info });
      return { source: this.partsSource(info.id, () => parts), modelId: info.id };
    }
    const info = models.getModelInfo(this.ctx.db, ref.model!);
    const source = this.partsSource(info.id, () => {
      const s = models.loadStoredModel(this.ctx.db, info.id);
      return { origin: `model ${info.id}`, manifest: s.manifest, topology: s.topology, weightSpecs: s.weightSpecs as WeightSpec[], weights: s.weights, pipeline: s.pipeline };
    });
    return { source, modelId: info.id };
  }

  /**
   * Classifies texts. With a run or a workspace model the predictions are stored (model, text hash, label,
   * probabilities, source); with a bare bundle nothing is stored anywhere.
   */
  async classify(request: ClassifyRequest): Promise<Prediction[]> {
    const r = await this.resolve(request as { run?: string; model?: string; bundle?: string });
    const { predictions } = await this.ask({ type: 'classify', source: r.source, texts: request.texts }, 'classify');
    if (r.modelId) insertPredictions(this.ctx.db, r.modelId, predictions, request.source ?? 'classify');
    return predictions;
  }

  /**
   * Linear models: the n-grams behind each text's label (or behind `label`), `k` each way, and per-word shares
   * to highlight. Nothing is stored. Other models are refused (EXPLAIN_UNSUPPORTED).
   */
  async explain(request: ExplainRequest): Promise<TextExplanation[]> {
    const r = await this.resolve(request as { run?: string; model?: string; bundle?: string });
    const { explanations } = await this.ask({ type: 'explain', source: r.source, texts: request.texts, label: request.label, k: request.k }, 'explain');
    return explanations;
  }

  /** Classifies every row of a CSV/TSV/JSONL file into a CSV/TSV/JSONL output, with task.progress events. */
  async classifyFile(request: Omit<ClassifyFileRequest, 'out'> & { out?: string }): Promise<ClassifyFileResult> {
    const r = await this.resolve(request);
    const out = path.resolve(request.out ?? defaultOutPath(request.file));
    let stored = 0;
    const source = `file:${path.basename(request.file)}`;
    const body: ClassifyJob = { type: 'classifyFile', source: r.source, file: path.resolve(request.file), out, column: request.column, force: request.force, read: request.read, keepFormulas: request.keepFormulas, stream: r.modelId !== null };
    // A task: listed while it runs, with its progress, and stoppable (tasks.cancel); nothing is written then.
    const { done } = this.ctx.tasks.run({ kind: 'classify-file', title: `Classifying ${path.basename(request.file)}` }, async (task) => {
      const { result } = await this.ask(body, 'classifyFile', {
        signal: task.signal,
        onEvent: (e) => {
          if (e.type === 'progress') {
            this.ctx.emit({ type: 'task.progress', ...e.progress });
            task.progress(e.progress);
          } else stored += insertPredictions(this.ctx.db, r.modelId!, e.predictions, source);
        },
      });
      return { ...result, stored };
    });
    return done;
  }

  /** Adds a bundle folder to the workspace as a model (its files are copied into the models table). */
  async importBundle(dir: string, project?: string, options: { name?: string } = {}): Promise<ModelInfo> {
    const b = readBundle(dir);
    // Load once so that a bundle that cannot classify is refused now, not at first use.
    await this.ask({ type: 'check', source: { kind: 'bundle', dir: b.dir } }, 'check');
    const projectId = project ? getProject(this.ctx.db, project).id : null;
    const existing = models.findBundleModel(this.ctx.db, b.checksum, projectId);
    if (existing) return existing;
    return models.insertModel(this.ctx.db, {
      projectId,
      runId: null,
      name: options.name ?? b.manifest.name ?? path.basename(b.dir),
      source: 'bundle',
      bundlePath: b.dir,
      manifest: b.manifest,
      topology: b.topology,
      weightSpecs: b.weightSpecs,
      weights: b.weights,
      pipeline: b.pipeline,
      checksum: b.checksum,
      metrics: b.manifest.metrics,
    });
  }

  /**
   * A free default path in the workspace: an export folder for a run, named so a person recognises it in their
   * file manager (project and model, e.g. "reviews-baseline"), or the output file of classifying `file`.
   */
  suggestPath(ref: ModelRef, kind: 'bundle' | 'classified', file?: string): string {
    if (kind === 'bundle') {
      if (!('run' in ref)) throw new TextbenchError('Only a run can be exported as a bundle; name the run.', 'INVALID_INPUT', { ...ref });
      const r = runs.getRunSummary(this.ctx.db, runs.resolveRunId(this.ctx.db, ref.run));
      const project = getProject(this.ctx.db, r.projectId).name;
      const stem = `${project}-${r.model}`.replace(/[^\p{L}\p{N}._-]+/gu, '-').replace(/^-+|-+$/g, '') || r.id;
      return freePath(path.join(this.ctx.dir, 'bundles', stem));
    }
    const name = 'run' in ref ? ref.run : 'model' in ref ? ref.model : path.basename(ref.bundle);
    const stem = file ? path.basename(file).replace(/\.[^.]+$/, '') : 'texts';
    return freePath(path.join(this.ctx.dir, 'classified', `${stem}.${name}`), '.csv');
  }

  list(project?: string): ModelInfo[] {
    return models.listModels(this.ctx.db, project ? getProject(this.ctx.db, project).id : undefined);
  }

  get(model: string): ModelInfo {
    return models.getModelInfo(this.ctx.db, model);
  }

  /**
   * Accuracy, macro-F1, per-class metrics and the confusion matrix of a workspace model on a project's test split.
   * Project labels the model does not know count as mistakes (and are listed).
   */
  async evaluateModel(model: string | ModelRef, project: string): Promise<ModelEvaluation> {
    const ref = typeof model === 'string' ? { model } : (model as { run?: string; model?: string; bundle?: string });
    const p = getProject(this.ctx.db, project);
    const examples = listSplitExamples(this.ctx.db, p.id, 'test');
    if (!examples.length) {
      throw new TextbenchError(
        `Project "${p.name}" has no examples in its test split, so there is nothing to evaluate on. Import data with a test split first.`,
        'EVALUATE_NO_TEST',
        { project: p.name },
      );
    }
    const r = await this.resolve(ref);
    const { labels, probabilities } = await this.ask({ type: 'scores', source: r.source, texts: examples.map((e) => e.text) }, 'scores');
    const unknown = [...new Set(examples.map((e) => e.label).filter((l) => !labels.includes(l)))].sort();
    const all = [...labels, ...unknown];
    const index = new Map(all.map((l, i) => [l, i]));
    const C = all.length;
    const probs = new Float64Array(examples.length * C);
    for (let i = 0; i < examples.length; i++) {
      for (let j = 0; j < labels.length; j++) probs[i * C + j] = probabilities[i * labels.length + j]!;
    }
    const yTrue = Int32Array.from(examples.map((e) => index.get(e.label)!));
    const report = classificationReport(all, yTrue, probs);
    return {
      model: r.modelId ?? ref.bundle ?? ref.run!,
      project: p.id,
      split: 'test',
      examples: examples.length,
      accuracy: report.accuracy,
      macroF1: report.macroF1,
      perClass: report.perClass,
      confusion: report.confusion,
      unknownLabels: unknown,
    };
  }

  /** Ends the classification worker and frees its models; the next call starts a new one. */
  dispose(): void {
    this.worker.stop();
    this.known = [];
  }
}

/** What cross-validation chose for a linear model (recorded in its bundle's manifest); null for other models. */
function linearChoice(topology: Record<string, unknown>): { featureSet: unknown; loss: unknown; C: unknown } | null {
  return isLinearTopology(topology) ? { featureSet: topology.featureSet, loss: topology.loss, C: topology.C } : null;
}

/** A path that does not exist yet: base, base-2, base-3, ... */
export function freePath(base: string, ext = ''): string {
  let candidate = base + ext;
  for (let i = 2; fs.existsSync(candidate); i++) candidate = `${base}-${i}${ext}`;
  return candidate;
}
