// The bundle's on-disk format: names, manifest checks, hashing. Shared by the writer and the loader.
// Imports only node builtins and pure modules: the loader must run with nothing but @tensorflow/tfjs.
import crypto from 'node:crypto';
import {
  BUNDLE_FORMAT_VERSION,
  BUNDLE_KIND,
  type BundleManifest,
  type ModelOutputKind,
} from '../../../shared/bundle.ts';
import { TextbenchError } from '../errors.ts';
import { selfTestShapeProblem } from './selftest.ts';

export const MANIFEST_FILE = 'manifest.json';
export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';
export const VOCAB_FILE = 'vocab.json';
export const README_FILE = 'README.md';

export function sha256Hex(data: Uint8Array | string): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** A file named in a manifest must be a plain name inside the folder: no separators, no "..", no hidden tricks. */
export function isPlainFileName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name) && !name.includes('..');
}

/** model.json exactly as TensorFlow.js's own savers write it, so tf.loadLayersModel(url) in a browser reads it too. */
export interface LayersModelJson {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: null;
  modelTopology: Record<string, unknown>;
  weightsManifest: Array<{ paths: string[]; weights: WeightSpec[] }>;
}

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool' | 'string' | 'complex64';
}

const BYTES_PER: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

/** Bytes the weight specs say weights.bin holds; null when a spec is of a kind whose size is not fixed. */
export function expectedWeightBytes(specs: readonly WeightSpec[]): number | null {
  let total = 0;
  for (const s of specs) {
    const per = BYTES_PER[s.dtype];
    if (per === undefined) return null;
    total += per * s.shape.reduce((a, b) => a * b, 1);
  }
  return total;
}

interface LayerConfigJson {
  class_name?: unknown;
  config?: { name?: unknown; activation?: unknown; units?: unknown; layers?: unknown; output_layers?: unknown };
}

/** Finds the layer that produces the model's (single) output in a layers-format topology. */
function outputLayer(topology: Record<string, unknown>): LayerConfigJson | undefined {
  const model = (topology.model_config ?? topology) as LayerConfigJson;
  const layers = model.config?.layers;
  if (!Array.isArray(layers) || !layers.length) return undefined;
  if (model.class_name === 'Sequential') return layers[layers.length - 1] as LayerConfigJson;
  const outs = model.config?.output_layers;
  const outName = Array.isArray(outs) && Array.isArray(outs[0]) ? outs[0][0] : undefined;
  const found = (layers as LayerConfigJson[]).find((l) => l.config?.name === outName);
  return found ?? (layers[layers.length - 1] as LayerConfigJson);
}

/**
 * What the last layer emits: probabilities (softmax, or one sigmoid unit for two labels) or raw scores.
 * Recorded in the manifest so the classifier knows whether to apply softmax itself.
 */
export function detectOutputKind(topology: Record<string, unknown>): ModelOutputKind {
  const layer = outputLayer(topology);
  const activation = layer?.config?.activation;
  if (activation === 'softmax') return 'softmax';
  if (activation === 'sigmoid') return 'sigmoid';
  if (activation === 'linear' || activation === undefined || activation === null) return 'logits';
  throw new TextbenchError(
    `The model's output layer uses the activation "${String(activation)}", which does not give class scores. ` +
      'Only softmax, sigmoid or linear (logits) outputs can be exported; train the model with one of the model zoo presets.',
    'BUNDLE_OUTPUT_UNSUPPORTED',
    { activation },
  );
}

function fail(dir: string, field: string, what: string): never {
  throw new TextbenchError(
    `The bundle ${dir} has an invalid manifest.json: ${field} ${what}. ` +
      'The file was edited or written by another program; export the model again from Textbench.',
    'BUNDLE_MANIFEST_INVALID',
    { bundle: dir, file: MANIFEST_FILE, field },
  );
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Checks the parsed manifest field by field. The kind and version checks come first so that a
 * non-bundle or a newer bundle gets that message rather than a complaint about some field.
 */
export function checkManifest(value: unknown, dir: string): BundleManifest {
  if (!isRecord(value) || value.kind !== BUNDLE_KIND) {
    throw new TextbenchError(
      `${dir} is not a Textbench model bundle: its manifest.json does not say kind "${BUNDLE_KIND}". ` +
        'Point to a folder written by `textbench export RUN --out DIR`.',
      'NOT_A_BUNDLE',
      { bundle: dir, file: MANIFEST_FILE, field: 'kind' },
    );
  }
  const v = value.formatVersion;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(dir, 'formatVersion', `is ${JSON.stringify(v)}, not a positive whole number`);
  if (v > BUNDLE_FORMAT_VERSION) {
    throw new TextbenchError(
      `The bundle ${dir} has format version ${v}, but this version of Textbench reads up to version ${BUNDLE_FORMAT_VERSION}. ` +
        'Update Textbench (or the textbench package) to load it, or export the model again with this version.',
      'BUNDLE_TOO_NEW',
      { bundle: dir, file: MANIFEST_FILE, field: 'formatVersion', formatVersion: v },
    );
  }
  const labels = value.labels;
  if (!Array.isArray(labels) || labels.length < 2 || !labels.every((l) => typeof l === 'string')) {
    fail(dir, 'labels', 'must list at least two label names');
  }
  if (new Set(labels).size !== labels.length) fail(dir, 'labels', 'contains the same label twice');
  const seq = value.sequenceLength;
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 1) fail(dir, 'sequenceLength', 'must be a positive whole number');
  if (typeof value.vocabularyFile !== 'string' || !isPlainFileName(value.vocabularyFile)) fail(dir, 'vocabularyFile', 'must be a file name inside the bundle');
  const tok = value.tokenizer;
  if (!isRecord(tok) || (tok.long !== 'truncate' && tok.long !== 'windows')) fail(dir, 'tokenizer.long', 'must be "truncate" or "windows"');
  const model = value.model;
  if (!isRecord(model) || !['softmax', 'logits', 'sigmoid'].includes(model.output as string)) {
    fail(dir, 'model.output', 'must be "softmax", "logits" or "sigmoid"');
  }
  const files = value.files;
  if (!isRecord(files) || !Object.keys(files).length) fail(dir, 'files', 'must list the sha256 of every file');
  for (const [name, entry] of Object.entries(files)) {
    if (!isPlainFileName(name) || name === MANIFEST_FILE) fail(dir, `files["${name}"]`, 'is not a plain file name inside the bundle');
    if (!isRecord(entry) || typeof entry.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(entry.sha256)) {
      fail(dir, `files["${name}"].sha256`, 'must be a sha256 hex digest');
    }
    if (typeof entry.bytes !== 'number' || !Number.isInteger(entry.bytes) || entry.bytes < 0) fail(dir, `files["${name}"].bytes`, 'must be a size in bytes');
  }
  for (const required of [MODEL_FILE, WEIGHTS_FILE, value.vocabularyFile as string]) {
    if (!(required in files)) fail(dir, 'files', `does not list ${required}`);
  }
  // Format 2 bundles are written with a self-test; one without it had it removed.
  if (v >= 2 && value.selfTest === undefined) fail(dir, 'selfTest', 'is missing (every bundle of format 2 carries one)');
  const selfTest = selfTestShapeProblem(value.selfTest, labels as string[]);
  if (selfTest) fail(dir, 'selfTest', selfTest);
  return value as unknown as BundleManifest;
}

/** Input names in the order the model takes them, read from a layers-format topology. */
export function topologyInputs(topology: Record<string, unknown>): string[] {
  const model = (topology.model_config ?? topology) as { class_name?: unknown; config?: { input_layers?: unknown; layers?: unknown } };
  const inputs = model.config?.input_layers;
  if (Array.isArray(inputs)) return inputs.map((l) => (Array.isArray(l) ? String(l[0]) : String(l)));
  const layers = model.config?.layers;
  if (Array.isArray(layers) && layers.length) {
    const first = layers[0] as { config?: { name?: unknown } };
    return [`${String(first.config?.name ?? 'input')}_input`];
  }
  return [];
}

// Our fused recurrent layers are written as their standard TensorFlow.js twins (same weights), so that model.json
// loads with plain tf.loadLayersModel anywhere; the mapping lives with those layers.
export { portableTopology } from '../compute/recurrent-twin.ts';
