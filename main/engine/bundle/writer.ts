// Writes a bundle folder atomically: everything goes into a temporary folder beside the target,
// which is renamed into place only when complete. A failure at any point leaves no half folder.
import { isLinearTopology } from '../store/linear-parts.ts';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { BUNDLE_FORMAT_VERSION, BUNDLE_KIND, type BundleManifest, type BundleSelfTest } from '../../../shared/bundle.ts';
import type { PipelineJSON } from '../text/types.ts';
import type { ModelArtifactsData } from '../train/artifacts.ts';
import { TextbenchError } from '../errors.ts';
import {
  MANIFEST_FILE,
  MODEL_FILE,
  README_FILE,
  VOCAB_FILE,
  WEIGHTS_FILE,
  detectOutputKind,
  expectedWeightBytes,
  portableTopology,
  sha256Hex,
  type LayersModelJson,
  type WeightSpec,
} from './format.ts';
import { bundleReadme } from './readme.ts';
import { besideName, sweepBeside } from '../leftovers.ts';
import { modelFromParts } from './loader.ts';
import type { PipelineFactory } from './model-parts.ts';
import { computeSelfTest } from './selftest.ts';
import { pipelineFromJSON } from '../text/pipeline.ts';

/**
 * The self-test computed in this thread, for callers that write a bundle from model parts they hold (tests,
 * library use); the workspace computes it in its classification worker and passes it in.
 */
async function selfTestHere(c: BundleContents, makePipeline: PipelineFactory): Promise<NonNullable<BundleContents['selfTest']>> {
  const { manifest } = renderBundle(c);
  const model = await modelFromParts(
    { origin: `the model "${c.name}"`, manifest, topology: c.artifacts.topology as Record<string, unknown>, weightSpecs: c.artifacts.weightSpecs as WeightSpec[], weights: c.artifacts.weights, pipeline: c.pipeline },
    makePipeline,
  );
  try {
    return await computeSelfTest(model, c.pipeline, c.labels);
  } finally {
    model.dispose();
  }
}

export interface BundleContents {
  name: string;
  artifacts: ModelArtifactsData;
  pipeline: PipelineJSON;
  /** Labels in model output order. */
  labels: string[];
  /** Input names in the order the model takes them. */
  inputs: string[];
  model: { type: string; config: Record<string, unknown> };
  training: BundleManifest['training'];
  metrics: Record<string, unknown> | null;
  createdBy?: string;
  /** Texts and the probabilities this model gives them (selftest.ts); every written bundle carries one. */
  selfTest?: BundleSelfTest;
}

export interface WriteBundleOptions {
  force?: boolean;
  /** The text pipeline to compute the self-test with when `contents` brings none (default: the real one). */
  makePipeline?: PipelineFactory;
  /** Test hook: called after each file is written into the temporary folder; throwing aborts the export. */
  afterFile?: (file: string) => void | Promise<void>;
}

export interface WrittenBundle {
  dir: string;
  manifest: BundleManifest;
  files: string[];
  sha256: Record<string, string>;
}

/** Builds every file's bytes in memory; the caller decides where they go. */
export function renderBundle(c: BundleContents): { manifest: BundleManifest; files: Map<string, Buffer> } {
  const linear = isLinearTopology(c.artifacts.topology as Record<string, unknown>);
  const topology = linear ? (c.artifacts.topology as Record<string, unknown>) : portableTopology(c.artifacts.topology as Record<string, unknown>);
  const specs = c.artifacts.weightSpecs as WeightSpec[];
  const expected = expectedWeightBytes(specs);
  if (expected !== null && expected !== c.artifacts.weights.byteLength) {
    throw new TextbenchError(
      `The model's weights hold ${c.artifacts.weights.byteLength} bytes but its weight specs describe ${expected}. ` +
        'The stored checkpoint is damaged; train the run again.',
      'BUNDLE_WEIGHTS_MISMATCH',
    );
  }
  // A linear model turns its decision values into calibrated probabilities itself.
  const output = linear ? 'softmax' : detectOutputKind(topology);
  const modelJson: LayersModelJson = {
    format: 'layers-model',
    generatedBy: linear ? 'Textbench linear model' : `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: null,
    modelTopology: topology,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: specs }],
  };
  const files = new Map<string, Buffer>();
  files.set(MODEL_FILE, Buffer.from(JSON.stringify(modelJson)));
  files.set(WEIGHTS_FILE, c.artifacts.weights);
  files.set(VOCAB_FILE, Buffer.from(JSON.stringify(c.pipeline)));
  const o = c.pipeline.options;
  const base: Omit<BundleManifest, 'files'> = {
    kind: BUNDLE_KIND,
    formatVersion: BUNDLE_FORMAT_VERSION,
    name: c.name,
    createdAt: new Date().toISOString(),
    createdBy: c.createdBy ?? 'Textbench',
    labels: [...c.labels],
    tokenizer: { tokens: o.tokens, lowercase: o.lowercase, minCount: o.minCount, maxVocab: o.maxVocab, long: o.long },
    vocabularyFile: VOCAB_FILE,
    vocabularySize: linear ? linearVocabularySize(c.pipeline) : c.pipeline.vocabulary.length,
    sequenceLength: c.pipeline.sequenceLength,
    model: { type: c.model.type, config: c.model.config, output, inputs: [...c.inputs] },
    training: c.training,
    metrics: c.metrics,
    ...(c.selfTest ? { selfTest: c.selfTest } : {}),
  };
  files.set(README_FILE, Buffer.from(bundleReadme(base)));
  const manifest: BundleManifest = { ...base, files: {} };
  for (const [name, bytes] of files) manifest.files[name] = { sha256: sha256Hex(bytes), bytes: bytes.byteLength };
  files.set(MANIFEST_FILE, Buffer.from(JSON.stringify(manifest, null, 2) + '\n'));
  return { manifest, files };
}

/** Word and character n-grams of a linear model's TF-IDF vocabulary. */
function linearVocabularySize(pipeline: BundleContents['pipeline']): number {
  const v = pipeline.extra?.tfidf as { words?: { terms?: unknown[] }; chars?: { terms?: unknown[] } | null } | undefined;
  return (v?.words?.terms?.length ?? 0) + (v?.chars?.terms?.length ?? 0);
}

function writeFileDurable(file: string, data: Buffer): void {
  const fd = fs.openSync(file, 'wx');
  try {
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Checks that a bundle may be written to `target`: clears what an export killed before left beside it (and puts
 * back a folder a kill left half swapped), then refuses an existing target unless `force`, and a file always.
 */
export function checkBundleTarget(target: string, force: boolean | undefined): string {
  const dir = path.resolve(target);
  sweepBeside(dir);
  const exists = fs.existsSync(dir);
  if (exists && !force) {
    throw new TextbenchError(
      `${dir} already exists. Choose another --out folder, or add --force to replace it.`,
      'BUNDLE_TARGET_EXISTS',
      { path: dir },
    );
  }
  if (exists && !fs.statSync(dir).isDirectory()) {
    throw new TextbenchError(`${dir} exists and is a file, not a folder. Choose another --out folder.`, 'BUNDLE_TARGET_NOT_DIR', { path: dir });
  }
  return dir;
}

/**
 * Writes `files` (relative paths, sub-folders allowed) as the folder `dir`, atomically: everything goes into a
 * temporary folder beside it, manifest.json last (a folder with a manifest is a complete folder), each file
 * synced; then the folder is renamed into place, an existing one swapped out whole. A failure at any point
 * leaves the old folder (or none) and no half-written one. Call checkBundleTarget first.
 */
export async function writeFolderAtomically(dir: string, files: ReadonlyMap<string, Buffer>, afterFile?: (file: string) => void | Promise<void>): Promise<void> {
  const exists = fs.existsSync(dir);
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const temp = besideName(dir, 'tmp');
  fs.mkdirSync(temp);
  let old: string | undefined;
  try {
    const order = [...files.keys()].filter((f) => f !== MANIFEST_FILE).concat(MANIFEST_FILE);
    for (const name of order) {
      const file = path.join(temp, name);
      if (path.dirname(name) !== '.') fs.mkdirSync(path.dirname(file), { recursive: true });
      writeFileDurable(file, files.get(name)!);
      await afterFile?.(name);
    }
    if (exists) {
      old = besideName(dir, 'old');
      fs.renameSync(dir, old);
      try {
        fs.renameSync(temp, dir);
      } catch (err) {
        fs.renameSync(old, dir);
        old = undefined;
        throw err;
      }
    } else {
      fs.renameSync(temp, dir);
    }
  } catch (err) {
    fs.rmSync(temp, { recursive: true, force: true });
    throw err;
  }
  if (old) fs.rmSync(old, { recursive: true, force: true });
}

/** Writes the bundle to `target`. Refuses an existing target unless `force`; then swaps the new folder in. */
export async function writeBundle(target: string, contents: BundleContents, options: WriteBundleOptions = {}): Promise<WrittenBundle> {
  const dir = checkBundleTarget(target, options.force);
  if (!contents.selfTest) contents = { ...contents, selfTest: await selfTestHere(contents, options.makePipeline ?? pipelineFromJSON) };
  const { manifest, files } = renderBundle(contents);
  await writeFolderAtomically(dir, files, options.afterFile);
  const sha256: Record<string, string> = {};
  for (const [name, entry] of Object.entries(manifest.files)) sha256[name] = entry.sha256;
  sha256[MANIFEST_FILE] = sha256Hex(files.get(MANIFEST_FILE)!);
  return { dir, manifest, files: [...files.keys()].sort(), sha256 };
}
