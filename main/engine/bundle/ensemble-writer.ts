// Writing ensemble bundles (the format is described in ensemble.ts, which reads them): every member's files in
// its own sub-folder, a README and the manifest with the weights, temperatures and the ensemble's self-test,
// written atomically by writer.ts's folder helper. Kept apart from ensemble.ts so that loading a bundle never
// imports the writer (tests/unit/bundle-imports.test.ts).
import { BUNDLE_FORMAT_VERSION, BUNDLE_KIND, type BundleManifest, type BundleSelfTest } from '../../../shared/bundle.ts';
import { TextbenchError } from '../errors.ts';
import { MANIFEST_FILE, README_FILE, sha256Hex } from './format.ts';
import { ENSEMBLE_TYPE, type EnsembleManifest, type EnsembleMemberSpec } from './ensemble.ts';
import { checkBundleTarget, writeFolderAtomically } from './writer.ts';

/** One member ready to be written: the files of a complete bundle (renderBundle's output, or a linear bundle's). */
export interface EnsembleMemberFiles {
  type: string;
  weight: number;
  temperature: number;
  files: Map<string, Buffer>;
}

export interface EnsembleContents {
  name: string;
  labels: string[];
  members: EnsembleMemberFiles[];
  config: Record<string, unknown>;
  training: BundleManifest['training'];
  metrics: Record<string, unknown> | null;
  /** The ensemble's probabilities on a few texts (selftest.ts: makeSelfTest), checked at every load. */
  selfTest: BundleSelfTest;
}

function memberFolder(i: number): string {
  return `member-${i + 1}`;
}

function readme(m: Omit<EnsembleManifest, 'files'>): string {
  const rows = m.ensemble.members.map((s) => `| ${s.folder} | ${s.type} | ${s.weight.toFixed(3)} | ${s.temperature.toFixed(3)} |`);
  return `# ${m.name}

An ensemble text classifier exported by Textbench on ${m.createdAt}. It predicts one of ${m.labels.length} labels
(${m.labels.join(', ')}) by averaging the calibrated probabilities of ${m.ensemble.members.length} models, each a complete
bundle in its own folder:

| folder | model | weight | temperature |
|---|---|---|---|
${rows.join('\n')}

Each member's probabilities are recalibrated as softmax(log(p) / temperature), then averaged with the weights.
Weights and temperatures were fitted on the validation split of the project.

## Use it

    npx textbench classify --bundle ./this-folder "a text to classify"

or, from Node: \`const model = await loadBundle('./this-folder')\` (package \`textbench\`). Keep the folder whole:
every file is checksummed, and an edited or missing file is refused.
`;
}

/** Every file of the ensemble bundle, by relative path ("member-1/model.json"), and its manifest. */
export function renderEnsembleBundle(c: EnsembleContents): { manifest: EnsembleManifest; files: Map<string, Buffer> } {
  if (c.members.length < 2) throw new TextbenchError('An ensemble needs at least two members.', 'ENSEMBLE_TOO_SMALL');
  const files = new Map<string, Buffer>();
  const members: EnsembleMemberSpec[] = c.members.map((m, i) => {
    const folder = memberFolder(i);
    if (!m.files.has(MANIFEST_FILE)) throw new Error(`Ensemble member ${i + 1} has no ${MANIFEST_FILE}: it is not a rendered bundle.`);
    for (const [name, bytes] of m.files) files.set(`${folder}/${name}`, bytes);
    return { folder, weight: m.weight, temperature: m.temperature, type: m.type };
  });
  const base: Omit<EnsembleManifest, 'files'> = {
    kind: BUNDLE_KIND,
    formatVersion: BUNDLE_FORMAT_VERSION,
    name: c.name,
    createdAt: new Date().toISOString(),
    createdBy: 'Textbench',
    labels: [...c.labels],
    model: { type: ENSEMBLE_TYPE, config: c.config, output: 'softmax', inputs: [] },
    ensemble: { members },
    training: c.training,
    metrics: c.metrics,
    selfTest: c.selfTest,
  };
  files.set(README_FILE, Buffer.from(readme(base)));
  const manifest: EnsembleManifest = { ...base, files: {} };
  manifest.files[README_FILE] = { sha256: sha256Hex(files.get(README_FILE)!), bytes: files.get(README_FILE)!.byteLength };
  for (const m of members) {
    const key = `${m.folder}/${MANIFEST_FILE}`;
    manifest.files[key] = { sha256: sha256Hex(files.get(key)!), bytes: files.get(key)!.byteLength };
  }
  files.set(MANIFEST_FILE, Buffer.from(JSON.stringify(manifest, null, 2) + '\n'));
  return { manifest, files };
}

/**
 * Writes the ensemble bundle atomically (writer.ts: into a temporary folder beside `target`, the top manifest
 * last, then renamed into place; an existing target only with `force`, swapped in whole).
 */
export async function writeEnsembleBundle(target: string, c: EnsembleContents, options: { force?: boolean } = {}): Promise<{ dir: string; manifest: EnsembleManifest; files: string[]; sha256: Record<string, string> }> {
  const dir = checkBundleTarget(target, options.force);
  const { manifest, files } = renderEnsembleBundle(c);
  await writeFolderAtomically(dir, files);
  const sha256: Record<string, string> = {};
  for (const [name, bytes] of files) sha256[name] = sha256Hex(bytes);
  return { dir, manifest, files: [...files.keys()].sort(), sha256 };
}

