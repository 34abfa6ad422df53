// Ensemble bundles: one folder that classifies like any other bundle, holding each member as a complete bundle
// in its own sub-folder plus a manifest that says how to combine them (train/ensemble/combine.ts: a temperature
// per member, then weights on the simplex).
//
//   manifest.json     kind textbench-bundle, model.type "ensemble", ensemble.members [{folder, weight, temperature}],
//                     files: README.md and every member's manifest.json with its sha256
//   README.md
//   member-1/ …       a bundle (manifest.json, model files, vocab.json, README.md), verified on its own when loaded
//   member-2/ …
//
// A member's manifest lists and checksums its own files, and the ensemble's manifest checksums each member's
// manifest, so one edited byte anywhere is caught. Nothing here is executed: JSON.parse and binary reads only.
import fs from 'node:fs';
import path from 'node:path';
import { BUNDLE_FORMAT_VERSION, BUNDLE_KIND, type BundleManifest, type BundleSelfTest } from '../../../shared/bundle.ts';
import type { Prediction } from '../../../shared/domain.ts';
import { TextbenchError } from '../errors.ts';
import { MANIFEST_FILE, README_FILE, isPlainFileName, sha256Hex } from './format.ts';
import { MAX_MANIFEST_BYTES, readRegular } from './reader.ts';
import { ensembleProbabilities } from '../train/ensemble/combine.ts';
import { checkSelfTest, selfTestShapeProblem } from './selftest.ts';

export const ENSEMBLE_TYPE = 'ensemble';

export interface EnsembleMemberSpec {
  /** Sub-folder name (a plain name). */
  folder: string;
  weight: number;
  temperature: number;
  /** The member's model type ("linear", "gru", …), for people reading the manifest. */
  type: string;
}

/** The manifest of an ensemble bundle: a bundle manifest without tokenizer or network of its own. */
export interface EnsembleManifest extends Pick<BundleManifest, 'kind' | 'formatVersion' | 'name' | 'createdAt' | 'createdBy' | 'labels' | 'training' | 'metrics' | 'files'> {
  model: { type: typeof ENSEMBLE_TYPE; config: Record<string, unknown>; output: 'softmax'; inputs: [] };
  ensemble: { members: EnsembleMemberSpec[] };
  /**
   * The ensemble's own probabilities on a few texts at export (selftest.ts), checked at every load: the members'
   * checksums prove each member is the one exported, this proves the weights and temperatures are too (an edited
   * weight that still sums to 1 gives other probabilities and is refused).
   */
  selfTest: BundleSelfTest;
}

/** True when a parsed manifest describes an ensemble bundle. */
export function isEnsembleManifest(value: unknown): value is EnsembleManifest {
  return typeof value === 'object' && value !== null && (value as { model?: { type?: unknown } }).model?.type === ENSEMBLE_TYPE && 'ensemble' in value;
}

function bad(dir: string, field: string, problem: string): never {
  throw new TextbenchError(
    `${dir}: the ensemble manifest's ${field} ${problem}. Copy the whole folder again, or export the ensemble again with \`textbench export RUN --out DIR\`.`,
    'BUNDLE_MANIFEST_INVALID',
    { bundle: dir, file: MANIFEST_FILE, field },
  );
}

/** Checks an ensemble manifest field by field and verifies README.md and each member's manifest.json against it. */
export function verifyEnsembleFolder(dir: string, value: EnsembleManifest): EnsembleManifest {
  if (value.kind !== BUNDLE_KIND) bad(dir, 'kind', `is not "${BUNDLE_KIND}"`);
  if (typeof value.formatVersion !== 'number' || value.formatVersion > BUNDLE_FORMAT_VERSION) {
    throw new TextbenchError(
      `The bundle ${dir} has format version ${String(value.formatVersion)}, but this version of Textbench reads up to version ${BUNDLE_FORMAT_VERSION}. Update Textbench to load it.`,
      'BUNDLE_TOO_NEW',
      { bundle: dir, file: MANIFEST_FILE, field: 'formatVersion' },
    );
  }
  if (!Array.isArray(value.labels) || value.labels.length < 2 || !value.labels.every((l) => typeof l === 'string')) bad(dir, 'labels', 'must list at least two label names');
  const members = value.ensemble?.members;
  if (!Array.isArray(members) || members.length < 2) bad(dir, 'ensemble.members', 'must list at least two members');
  let total = 0;
  for (const [i, m] of members.entries()) {
    if (typeof m !== 'object' || m === null || typeof m.folder !== 'string' || !isPlainFileName(m.folder)) bad(dir, `ensemble.members[${i}].folder`, 'must be a plain folder name inside the bundle');
    if (!(typeof m.weight === 'number' && m.weight >= 0 && m.weight <= 1)) bad(dir, `ensemble.members[${i}].weight`, 'must be a number from 0 to 1');
    if (!(typeof m.temperature === 'number' && m.temperature > 0 && Number.isFinite(m.temperature))) bad(dir, `ensemble.members[${i}].temperature`, 'must be a positive number');
    total += m.weight;
  }
  if (Math.abs(total - 1) > 1e-6) bad(dir, 'ensemble.members', `weights sum to ${total}, not 1`);
  if (value.selfTest === undefined) bad(dir, 'selfTest', 'is missing (every ensemble bundle carries one)');
  const selfTest = selfTestShapeProblem(value.selfTest, value.labels);
  if (selfTest) bad(dir, 'selfTest', selfTest);
  const files = value.files;
  if (typeof files !== 'object' || files === null) bad(dir, 'files', 'must list the sha256 of every file');
  for (const m of members) {
    // A member folder must be a real folder of the bundle, never a link to somewhere else.
    const st = fs.lstatSync(path.join(dir, m.folder), { throwIfNoEntry: false });
    if (!st?.isDirectory()) {
      throw new TextbenchError(`The bundle ${dir} has no member folder ${m.folder} (or it is a link). Copy the whole folder again.`, 'BUNDLE_FILE_MISSING', { bundle: dir, file: m.folder });
    }
  }
  const required = [README_FILE, ...members.map((m) => `${m.folder}/${MANIFEST_FILE}`)];
  for (const name of required) {
    const entry = files[name];
    if (!entry || typeof entry.bytes !== 'number' || typeof entry.sha256 !== 'string') bad(dir, 'files', `does not list ${name} with its size and sha256`);
    // Regular files only, opened without following links, size checked before reading (reader.ts).
    const actual = sha256Hex(readRegular(dir, name, entry.bytes, MAX_MANIFEST_BYTES));
    if (actual !== entry.sha256) {
      throw new TextbenchError(`The file ${name} in ${dir} was changed after export: its sha256 is ${actual}, the manifest says ${entry.sha256}.`, 'BUNDLE_FILE_MODIFIED', { bundle: dir, file: name });
    }
  }
  return value;
}

/** What a loaded member offers: probabilities over its labels. */
export interface ScoringModel {
  readonly labels: readonly string[];
  scores(texts: readonly string[]): Promise<{ probabilities: Float64Array; long: Prediction['long'][] }>;
  dispose(): void;
}

/**
 * Combines loaded members into one classifier over `labels` (each member's columns are reordered to that order).
 * The result's probabilities are the ensemble's; `long` reports the first member's handling of long texts.
 */
export function combineMembers(labels: readonly string[], members: readonly ScoringModel[], specs: readonly Pick<EnsembleMemberSpec, 'weight' | 'temperature'>[], origin: string) {
  const C = labels.length;
  const orders = members.map((m, i) => {
    const at = new Map(m.labels.map((l, j) => [l, j]));
    const order = labels.map((l) => at.get(l));
    if (m.labels.length !== C || order.some((j) => j === undefined)) {
      throw new TextbenchError(
        `${origin}: member ${i + 1} predicts the labels ${m.labels.join(', ')}, but the ensemble predicts ${labels.join(', ')}. The members must share their labels; export the ensemble again.`,
        'ENSEMBLE_LABELS_MISMATCH',
        { member: i + 1 },
      );
    }
    return order as number[];
  });
  const fitted = { weights: specs.map((s) => s.weight), temperatures: specs.map((s) => s.temperature) };
  const scores = async (texts: readonly string[]): Promise<{ probabilities: Float64Array; long: Prediction['long'][] }> => {
    const parts = await Promise.all(members.map((m) => m.scores(texts)));
    const aligned = parts.map((p, k) => {
      const out = new Float64Array(texts.length * C);
      for (let i = 0; i < texts.length; i++) for (let c = 0; c < C; c++) out[i * C + c] = p.probabilities[i * C + orders[k]![c]!]!;
      return out;
    });
    return { probabilities: ensembleProbabilities(aligned, fitted, C), long: parts[0]!.long };
  };
  return {
    labels,
    scores,
    async classify(texts: readonly string[]): Promise<Prediction[]> {
      const { probabilities, long } = await scores(texts);
      return texts.map((text, i) => {
        const probs: Record<string, number> = {};
        let best = 0;
        for (let c = 0; c < C; c++) {
          probs[labels[c]!] = probabilities[i * C + c]!;
          if (probabilities[i * C + c]! > probabilities[i * C + best]!) best = c;
        }
        return { text, label: labels[best]!, probability: probabilities[i * C + best]!, probabilities: probs, long: long[i] };
      });
    },
    dispose(): void {
      for (const m of members) m.dispose();
    },
  };
}

/**
 * Reads an ensemble bundle folder whose manifest has been parsed: checks it, then loads every member folder with
 * `loadMember` (the ordinary bundle loader, which verifies each member's own files) and combines them.
 */
export async function loadEnsembleFolder<M extends ScoringModel>(dir: string, manifest: EnsembleManifest, loadMember: (memberDir: string) => Promise<M>) {
  const m = verifyEnsembleFolder(dir, manifest);
  const loaded: M[] = [];
  try {
    for (const spec of m.ensemble.members) loaded.push(await loadMember(path.join(dir, spec.folder)));
    const combined = combineMembers(m.labels, loaded, m.ensemble.members, `the bundle ${dir}`);
    // The whole ensemble's self-test: the weights and temperatures in the manifest must give the probabilities
    // recorded at export.
    await checkSelfTest(m, `The ensemble bundle ${dir}`, async (texts) => (await combined.scores(texts)).probabilities);
    return { manifest: m, members: loaded, combined };
  } catch (err) {
    for (const l of loaded) l.dispose();
    throw err;
  }
}

/** The parsed manifest of `dir` when it describes an ensemble bundle; null for any other folder (read as usual). */
export function readEnsembleManifest(dir: string): EnsembleManifest | null {
  const file = path.join(path.resolve(dir), MANIFEST_FILE);
  if (!fs.lstatSync(file, { throwIfNoEntry: false })?.isFile()) return null;
  let value: unknown;
  try {
    value = JSON.parse(readRegular(path.resolve(dir), MANIFEST_FILE, null, MAX_MANIFEST_BYTES).toString('utf8'));
  } catch {
    return null; // readBundle reports an unreadable manifest with its own message.
  }
  return isEnsembleManifest(value) ? value : null;
}
