// Reads and verifies a bundle folder. Only JSON.parse and binary reads: nothing in the folder is ever executed.
// Refuses, each with its own code and a message that says what to do: a missing folder or file, a folder
// that is not a bundle, a newer format version, a truncated file, an edited file.
import fs from 'node:fs';
import path from 'node:path';
import type { BundleManifest } from '../../../shared/bundle.ts';
import type { PipelineJSON } from '../text/types.ts';
import { TextbenchError } from '../errors.ts';
import {
  MANIFEST_FILE,
  MODEL_FILE,
  WEIGHTS_FILE,
  checkManifest,
  expectedWeightBytes,
  sha256Hex,
  type LayersModelJson,
  type WeightSpec,
} from './format.ts';

export interface VerifiedBundle {
  dir: string;
  manifest: BundleManifest;
  /** sha256 of manifest.json itself: identifies this exact bundle. */
  checksum: string;
  topology: Record<string, unknown>;
  weightSpecs: WeightSpec[];
  weights: Buffer;
  pipeline: PipelineJSON;
}

const EXPORT_AGAIN = 'Copy the whole folder again from its source, or export it again with `textbench export RUN --out DIR`.';

function parseJson(text: string, dir: string, file: string, code: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new TextbenchError(
      `${file} in ${dir} is not valid JSON (${(err as Error).message}). ${EXPORT_AGAIN}`,
      code,
      { bundle: dir, file },
    );
  }
}

export function readBundle(bundleDir: string): VerifiedBundle {
  const dir = path.resolve(bundleDir);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new TextbenchError(`There is no bundle folder at ${dir}. Check the path given to --bundle.`, 'BUNDLE_NOT_FOUND', { bundle: dir });
  }
  if (!stat.isDirectory()) {
    throw new TextbenchError(
      `${dir} is a file, not a bundle folder. A bundle is the folder written by \`textbench export RUN --out DIR\`; pass that folder.`,
      'NOT_A_BUNDLE',
      { bundle: dir },
    );
  }
  const manifestPath = path.join(dir, MANIFEST_FILE);
  if (!fs.existsSync(manifestPath)) {
    const hint = fs.existsSync(path.join(dir, MODEL_FILE))
      ? ' It holds a model.json, so it may be a plain TensorFlow.js model; Textbench needs the whole exported bundle (labels and vocabulary too).'
      : '';
    throw new TextbenchError(
      `${dir} is not a Textbench model bundle: it has no manifest.json.${hint} Pass the folder written by \`textbench export RUN --out DIR\`.`,
      'NOT_A_BUNDLE',
      { bundle: dir, file: MANIFEST_FILE },
    );
  }
  const manifestBytes = fs.readFileSync(manifestPath);
  let manifestValue: unknown;
  try {
    manifestValue = JSON.parse(manifestBytes.toString('utf8'));
  } catch (err) {
    throw new TextbenchError(
      `${dir} is not a readable Textbench bundle: manifest.json is not valid JSON (${(err as Error).message}). ${EXPORT_AGAIN}`,
      'NOT_A_BUNDLE',
      { bundle: dir, file: MANIFEST_FILE },
    );
  }
  const manifest = checkManifest(manifestValue, dir);

  const contents = new Map<string, Buffer>();
  for (const [name, entry] of Object.entries(manifest.files)) {
    const file = path.join(dir, name);
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(file);
    } catch {
      throw new TextbenchError(
        `The bundle ${dir} is missing the file ${name}. ${EXPORT_AGAIN}`,
        'BUNDLE_FILE_MISSING',
        { bundle: dir, file: name },
      );
    }
    if (bytes.byteLength < entry.bytes) {
      throw new TextbenchError(
        `The file ${name} in ${dir} is truncated: it has ${bytes.byteLength} bytes, the manifest says ${entry.bytes}. ` +
          `The copy or download was cut short. ${EXPORT_AGAIN}`,
        'BUNDLE_FILE_TRUNCATED',
        { bundle: dir, file: name, bytes: bytes.byteLength, expected: entry.bytes },
      );
    }
    const actual = sha256Hex(bytes);
    if (bytes.byteLength !== entry.bytes || actual !== entry.sha256) {
      throw new TextbenchError(
        `The file ${name} in ${dir} was changed after export: its sha256 is ${actual}, the manifest says ${entry.sha256}. ` +
          `Textbench does not load an edited bundle. ${EXPORT_AGAIN}`,
        'BUNDLE_FILE_MODIFIED',
        { bundle: dir, file: name, sha256: actual, expected: entry.sha256 },
      );
    }
    contents.set(name, bytes);
  }

  const modelJson = parseJson(contents.get(MODEL_FILE)!.toString('utf8'), dir, MODEL_FILE, 'BUNDLE_MODEL_INVALID') as Partial<LayersModelJson>;
  const groups = modelJson.weightsManifest;
  if (
    typeof modelJson.modelTopology !== 'object' ||
    modelJson.modelTopology === null ||
    !Array.isArray(groups) ||
    groups.length !== 1 ||
    !Array.isArray(groups[0]!.paths) ||
    groups[0]!.paths.length !== 1 ||
    groups[0]!.paths[0] !== WEIGHTS_FILE ||
    !Array.isArray(groups[0]!.weights)
  ) {
    throw new TextbenchError(
      `model.json in ${dir} is not a TensorFlow.js layers model with one weights file (${WEIGHTS_FILE}). ${EXPORT_AGAIN}`,
      'BUNDLE_MODEL_INVALID',
      { bundle: dir, file: MODEL_FILE },
    );
  }
  const weightSpecs = groups[0]!.weights;
  const weights = contents.get(WEIGHTS_FILE)!;
  const expected = expectedWeightBytes(weightSpecs);
  if (expected !== null && expected !== weights.byteLength) {
    throw new TextbenchError(
      `${WEIGHTS_FILE} in ${dir} holds ${weights.byteLength} bytes but model.json describes ${expected}. ${EXPORT_AGAIN}`,
      'BUNDLE_MODEL_INVALID',
      { bundle: dir, file: WEIGHTS_FILE },
    );
  }
  const pipeline = parseJson(contents.get(manifest.vocabularyFile)!.toString('utf8'), dir, manifest.vocabularyFile, 'BUNDLE_VOCAB_INVALID') as PipelineJSON;
  if (typeof pipeline !== 'object' || pipeline === null || pipeline.version !== 1 || !Array.isArray(pipeline.vocabulary) || typeof pipeline.options !== 'object') {
    throw new TextbenchError(
      `${manifest.vocabularyFile} in ${dir} is not a Textbench text pipeline of version 1. ${EXPORT_AGAIN}`,
      'BUNDLE_VOCAB_INVALID',
      { bundle: dir, file: manifest.vocabularyFile },
    );
  }
  return {
    dir,
    manifest,
    checksum: sha256Hex(manifestBytes),
    topology: modelJson.modelTopology as Record<string, unknown>,
    weightSpecs,
    weights,
    pipeline,
  };
}
