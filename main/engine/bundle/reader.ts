// Reads and verifies a bundle folder. Only JSON.parse and binary reads: nothing in the folder is ever executed.
// Refuses, each with its own code and a message that says what to do: a missing folder or file, a folder
// that is not a bundle, a newer format version, a symbolic link or anything else that is not a regular file
// (a link to /dev/zero or to a system file), a file whose size is not the manifest's (checked before a byte
// is read), a truncated file, an edited file. The self-test is checked where the model is built (loader.ts).
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

/** manifest.json holds names, labels, settings and checksums: far less than this. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** Largest file a bundle may hold (a model of half a billion float32 weights). */
export const MAX_BUNDLE_FILE_BYTES = 2 * 1024 ** 3;

/**
 * Why a JSON text could not be parsed, without quoting it: V8's message shows the text's first characters,
 * which for a file that is not what it should be could be anything.
 */
function jsonProblem(err: unknown): string {
  const at = /position (\d+)/.exec((err as Error).message ?? '');
  return at ? `unexpected content at character ${at[1]}` : 'it is cut short or holds something else';
}

function parseJson(text: string, dir: string, file: string, code: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new TextbenchError(`${file} in ${dir} is not valid JSON (${jsonProblem(err)}). ${EXPORT_AGAIN}`, code, { bundle: dir, file });
  }
}

function notRegular(dir: string, name: string, st: fs.Stats): TextbenchError {
  const what = st.isSymbolicLink()
    ? 'a symbolic link'
    : st.isDirectory()
      ? 'a folder'
      : st.isFIFO()
        ? 'a named pipe'
        : st.isSocket()
          ? 'a socket'
          : st.isCharacterDevice() || st.isBlockDevice()
            ? 'a device'
            : 'not a regular file';
  return new TextbenchError(
    `${name} in the bundle ${dir} is ${what}, not a regular file. A bundle holds plain files only; links are never followed. ${EXPORT_AGAIN}`,
    'BUNDLE_FILE_NOT_REGULAR',
    { bundle: dir, file: name },
  );
}

/** Open flags that never follow a link swapped in after the check and never block on a pipe (0 where the OS has none). */
const SAFE_OPEN = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0);

/**
 * Reads a file of the bundle that must be a regular file of exactly `expected` bytes (or at most `max` when
 * no size is known). The size is checked on the open file before anything is read, so a huge or endless file
 * costs nothing; the read stops at the size checked.
 */
export function readRegular(dir: string, name: string, expected: number | null, max: number): Buffer {
  const file = path.join(dir, name);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    throw new TextbenchError(`The bundle ${dir} is missing the file ${name}. ${EXPORT_AGAIN}`, 'BUNDLE_FILE_MISSING', { bundle: dir, file: name });
  }
  if (!st.isFile()) throw notRegular(dir, name, st);
  let fd: number;
  try {
    fd = fs.openSync(file, SAFE_OPEN);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'EMLINK') throw notRegular(dir, name, fs.lstatSync(file));
    throw new TextbenchError(`${name} in the bundle ${dir} cannot be opened (${code ?? (err as Error).message}). Check its permissions.`, 'BUNDLE_FILE_MISSING', { bundle: dir, file: name });
  }
  try {
    const open = fs.fstatSync(fd);
    if (!open.isFile()) throw notRegular(dir, name, open);
    const size = open.size;
    if (expected !== null && size < expected) {
      throw new TextbenchError(
        `The file ${name} in ${dir} is truncated: it has ${size} bytes, the manifest says ${expected}. The copy or download was cut short. ${EXPORT_AGAIN}`,
        'BUNDLE_FILE_TRUNCATED',
        { bundle: dir, file: name, bytes: size, expected },
      );
    }
    if (expected !== null && size > expected) {
      throw new TextbenchError(
        `The file ${name} in ${dir} was changed after export: it has ${size} bytes, the manifest says ${expected}. Textbench does not load an edited bundle. ${EXPORT_AGAIN}`,
        'BUNDLE_FILE_MODIFIED',
        { bundle: dir, file: name, bytes: size, expected },
      );
    }
    if (size > max) {
      throw new TextbenchError(`${name} in the bundle ${dir} is ${size} bytes, over the ${max} bytes a bundle file may have. ${EXPORT_AGAIN}`, 'BUNDLE_FILE_TOO_LARGE', {
        bundle: dir,
        file: name,
        bytes: size,
      });
    }
    const buf = Buffer.alloc(size);
    let got = 0;
    while (got < size) {
      const n = fs.readSync(fd, buf, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
    if (got < size) {
      throw new TextbenchError(`The file ${name} in ${dir} shrank while it was read (${got} of ${size} bytes). ${EXPORT_AGAIN}`, 'BUNDLE_FILE_TRUNCATED', {
        bundle: dir,
        file: name,
        bytes: got,
        expected: size,
      });
    }
    return buf;
  } finally {
    fs.closeSync(fd);
  }
}

/** Every entry of the folder must be a regular file: a link, pipe or device planted beside the bundle's files is refused too. */
function checkEntries(dir: string): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!e.isFile()) throw notRegular(dir, e.name, fs.lstatSync(path.join(dir, e.name)));
  }
}

function lexists(file: string): boolean {
  try {
    fs.lstatSync(file);
    return true;
  } catch {
    return false;
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
  if (!lexists(manifestPath)) {
    const hint = fs.existsSync(path.join(dir, MODEL_FILE))
      ? ' It holds a model.json, so it may be a plain TensorFlow.js model; Textbench needs the whole exported bundle (labels and vocabulary too).'
      : '';
    throw new TextbenchError(
      `${dir} is not a Textbench model bundle: it has no manifest.json.${hint} Pass the folder written by \`textbench export RUN --out DIR\`.`,
      'NOT_A_BUNDLE',
      { bundle: dir, file: MANIFEST_FILE },
    );
  }
  const manifestBytes = readRegular(dir, MANIFEST_FILE, null, MAX_MANIFEST_BYTES);
  let manifestValue: unknown;
  try {
    manifestValue = JSON.parse(manifestBytes.toString('utf8'));
  } catch (err) {
    throw new TextbenchError(
      `${dir} is not a readable Textbench bundle: manifest.json is not valid JSON (${jsonProblem(err)}). ${EXPORT_AGAIN}`,
      'NOT_A_BUNDLE',
      { bundle: dir, file: MANIFEST_FILE },
    );
  }
  const manifest = checkManifest(manifestValue, dir);
  checkEntries(dir);

  const contents = new Map<string, Buffer>();
  for (const [name, entry] of Object.entries(manifest.files)) {
    const bytes = readRegular(dir, name, entry.bytes, MAX_BUNDLE_FILE_BYTES);
    const actual = sha256Hex(bytes);
    if (actual !== entry.sha256) {
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
