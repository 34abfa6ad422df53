import path from 'node:path';
import type { EngineContext } from '../context.ts';
import type {
  ClassifyFileRequest,
  ClassifyFileResult,
  ClassifyRequest,
  ExportOptions,
  ExportResult,
  ModelEvaluation,
  ModelInfo,
  ModelRef,
} from '../../../shared/bundle.ts';
import type { Prediction, Progress } from '../../../shared/domain.ts';
import { TextbenchError } from '../errors.ts';
import { pipelineFromJSON } from '../text/pipeline.ts';
import { classificationReport } from '../evaluate/metrics.ts';
import { getProject } from '../store/projects.ts';
import { listSplitExamples } from '../store/examples.ts';
import * as models from '../store/models.ts';
import { insertPredictions } from '../store/predictions.ts';
import { renderBundle, writeBundle, type BundleContents, type WriteBundleOptions } from './writer.ts';
import { readBundle } from './reader.ts';
import { modelFromParts, type LoadedModel, type ModelParts } from './loader.ts';
import { classifyFile as classifyFileStream, defaultOutPath } from './batch.ts';
import { sha256Hex, topologyInputs, type WeightSpec } from './format.ts';

/** A model ready to classify, and where its predictions go (null: a bare bundle, nothing is stored). */
interface Resolved {
  model: LoadedModel;
  modelId: string | null;
  /** Loaded only for this call (a bundle folder): dispose after use. */
  transient: boolean;
}

function refCount(ref: { run?: string; model?: string; bundle?: string }): number {
  return [ref.run, ref.model, ref.bundle].filter((v) => v !== undefined && v !== '').length;
}

/** Models, export bundles and classification. */
export class ModelService {
  /** Loaded workspace models by model id; small, since each holds its weights in TensorFlow.js memory. */
  private readonly cache = new Map<string, LoadedModel>();
  private static readonly CACHE_SIZE = 3;

  constructor(protected readonly ctx: EngineContext) {}

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
      model: { type: run.model, config: run.config },
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
    const run = models.readRunForExport(this.ctx.db, runRef, options.checkpoint);
    const contents = this.runContents(run);
    const { manifest } = renderBundle(contents);
    const probe = await modelFromParts(
      { origin: `run ${run.id}`, manifest, topology: run.checkpoint.topology, weightSpecs: contents.artifacts.weightSpecs as WeightSpec[], weights: run.checkpoint.weights, pipeline: run.pipeline },
      pipelineFromJSON,
    );
    probe.dispose();
    const written = await writeBundle(out, contents, { force: options.force, afterFile: options.afterFile });
    return { bundle: written.dir, files: written.files, sha256: written.sha256 };
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

  private async cached(id: string, parts: () => ModelParts): Promise<LoadedModel> {
    const hit = this.cache.get(id);
    if (hit) {
      this.cache.delete(id);
      this.cache.set(id, hit);
      return hit;
    }
    const loaded = await modelFromParts(parts(), pipelineFromJSON);
    this.cache.set(id, loaded);
    while (this.cache.size > ModelService.CACHE_SIZE) {
      const [oldest, m] = this.cache.entries().next().value as [string, LoadedModel];
      this.cache.delete(oldest);
      m.dispose();
    }
    return loaded;
  }

  private async resolve(ref: { run?: string; model?: string; bundle?: string }): Promise<Resolved> {
    if (refCount(ref) !== 1) {
      throw new TextbenchError('Say which model classifies: exactly one of --run RUN, --model MODEL or --bundle DIR.', 'CLASSIFY_MODEL_REQUIRED');
    }
    if (ref.bundle) {
      const b = readBundle(ref.bundle);
      return { model: await modelFromParts({ origin: `the bundle ${b.dir}`, ...b }, pipelineFromJSON), modelId: null, transient: true };
    }
    if (ref.run) {
      const { info, parts } = this.modelForRun(ref.run);
      return { model: await this.cached(info.id, () => parts), modelId: info.id, transient: false };
    }
    const info = models.getModelInfo(this.ctx.db, ref.model!);
    const model = await this.cached(info.id, () => {
      const s = models.loadStoredModel(this.ctx.db, info.id);
      return { origin: `model ${info.id}`, manifest: s.manifest, topology: s.topology, weightSpecs: s.weightSpecs as WeightSpec[], weights: s.weights, pipeline: s.pipeline };
    });
    return { model, modelId: info.id, transient: false };
  }

  /**
   * Classifies texts. With a run or a workspace model the predictions are stored (model, text hash, label,
   * probabilities, source); with a bare bundle nothing is stored anywhere.
   */
  async classify(request: ClassifyRequest): Promise<Prediction[]> {
    const r = await this.resolve(request as { run?: string; model?: string; bundle?: string });
    try {
      const predictions = await r.model.classify(request.texts);
      if (r.modelId) insertPredictions(this.ctx.db, r.modelId, predictions, request.source ?? 'classify');
      return predictions;
    } finally {
      if (r.transient) r.model.dispose();
    }
  }

  /** Classifies every row of a CSV/TSV/JSONL file into a CSV/TSV/JSONL output, with task.progress events. */
  async classifyFile(request: Omit<ClassifyFileRequest, 'out'> & { out?: string }): Promise<ClassifyFileResult> {
    const r = await this.resolve(request);
    const out = request.out ?? defaultOutPath(request.file);
    let stored = 0;
    try {
      const result = await classifyFileStream(r.model, {
        file: request.file,
        out,
        column: request.column,
        force: request.force,
        onProgress: (p: Progress) => this.ctx.emit({ type: 'task.progress', ...p }),
        onPredictions: r.modelId
          ? (preds) => {
              stored += insertPredictions(this.ctx.db, r.modelId!, preds, `file:${path.basename(request.file)}`);
            }
          : undefined,
      });
      return { ...result, stored };
    } finally {
      if (r.transient) r.model.dispose();
    }
  }

  /** Adds a bundle folder to the workspace as a model (its files are copied into the models table). */
  async importBundle(dir: string, project?: string, options: { name?: string } = {}): Promise<ModelInfo> {
    const b = readBundle(dir);
    // Load once so that a bundle that cannot classify is refused now, not at first use.
    (await modelFromParts({ origin: `the bundle ${b.dir}`, ...b }, pipelineFromJSON)).dispose();
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
    try {
      const labels = [...r.model.labels];
      const unknown = [...new Set(examples.map((e) => e.label).filter((l) => !labels.includes(l)))].sort();
      const all = [...labels, ...unknown];
      const index = new Map(all.map((l, i) => [l, i]));
      const { probabilities } = await r.model.scores(examples.map((e) => e.text));
      const C = all.length;
      const probs = new Float64Array(examples.length * C);
      for (let i = 0; i < examples.length; i++) {
        for (let j = 0; j < labels.length; j++) probs[i * C + j] = probabilities[i * labels.length + j]!;
      }
      const yTrue = Int32Array.from(examples.map((e) => index.get(e.label)!));
      const report = classificationReport(all, yTrue, probs);
      return {
        model: r.modelId ?? (ref.bundle as string),
        project: p.id,
        split: 'test',
        examples: examples.length,
        accuracy: report.accuracy,
        macroF1: report.macroF1,
        perClass: report.perClass,
        confusion: report.confusion,
        unknownLabels: unknown,
      };
    } finally {
      if (r.transient) r.model.dispose();
    }
  }

  /** Frees the TensorFlow.js memory of cached models. */
  dispose(): void {
    for (const m of this.cache.values()) m.dispose();
    this.cache.clear();
  }
}
