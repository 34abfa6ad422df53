// Issue 12: a bundle folder is read as untrusted input. Links and anything else that is not a regular file are
// refused (never followed: a link to /dev/zero used to eat 2.5 GB, a link to a system file leaked its first
// bytes into the message), sizes are checked against the manifest before a byte is read, and the self-test
// written at export refuses a bundle whose parts do not belong together (labels reordered, output kind changed,
// a vocabulary from another export), even when its checksums were made to match.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { writeBundle, type BundleContents } from '../../main/engine/bundle/writer.ts';
import { readBundle } from '../../main/engine/bundle/reader.ts';
import { loadBundle } from '../../main/engine/bundle/index.ts';
import { sha256Hex } from '../../main/engine/bundle/format.ts';
import { modelToArtifacts } from '../../main/engine/train/artifacts.ts';
import { fitPipeline } from '../../main/engine/text/pipeline.ts';
import { modelBuilder } from '../../main/engine/train/models.ts';
import { topologyInputs } from '../../main/engine/bundle/format.ts';
import { TextbenchError } from '../../main/engine/errors.ts';
import { Workbench } from '../../main/engine/workbench.ts';

const LABELS = ['billing', 'bug', 'feature'];
const TEXTS = ['refund my payment please', 'the app crashes when saving', 'please add a dark mode', 'charged twice this month', 'error on export'];
let tmp: string;
let contents: BundleContents;
let other: BundleContents;

async function contentsFor(texts: string[], seed: number): Promise<BundleContents> {
  const pipeline = fitPipeline(texts, { tokens: 'words', sequenceLength: 8, minCount: 1 });
  const net = modelBuilder('baseline', { embeddingDim: 8, dropout: 0 })({ inputDim: pipeline.inputDim, sequenceLength: 8, classes: LABELS.length }, seed);
  const artifacts = await modelToArtifacts(net);
  net.dispose();
  return {
    name: 'tickets',
    artifacts,
    pipeline: pipeline.toJSON(),
    labels: LABELS,
    inputs: topologyInputs(artifacts.topology as Record<string, unknown>),
    model: { type: 'baseline', config: {} },
    training: { run: null, project: null, dataHash: null, backend: 'cpu', epoch: null, checkpoint: null },
    metrics: null,
  };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-bundle-safety-'));
  contents = await contentsFor(TEXTS, 3);
  other = await contentsFor([...TEXTS, 'totally different words in another vocabulary'], 4);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let n = 0;
async function fresh(c: BundleContents = contents): Promise<string> {
  const dir = path.join(tmp, `b${n++}`);
  await writeBundle(dir, c);
  return dir;
}

function manifestOf(dir: string): Record<string, any> {
  return JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
}

/** Writes the manifest back with every listed file's size and sha256 made to match what is in the folder. */
function resign(dir: string, m: Record<string, any>): void {
  for (const name of Object.keys(m.files)) {
    const bytes = fs.readFileSync(path.join(dir, name));
    m.files[name] = { sha256: sha256Hex(bytes), bytes: bytes.length };
  }
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
}

async function refusal(p: () => unknown): Promise<TextbenchError> {
  let caught: unknown;
  try {
    await p();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'the bundle should have been refused').toBeInstanceOf(TextbenchError);
  return caught as TextbenchError;
}

describe('files that are not regular files', () => {
  const secret = () => {
    const f = path.join(tmp, 'secret.txt');
    fs.writeFileSync(f, 'SECRET-TOKEN-4711 not json at all\n');
    return f;
  };

  it('a manifest.json that is a link to another file is refused, and nothing of that file shows in the message', async () => {
    const dir = await fresh();
    fs.rmSync(path.join(dir, 'manifest.json'));
    fs.symlinkSync(secret(), path.join(dir, 'manifest.json'));
    const e = await refusal(() => readBundle(dir));
    expect(e.code).toBe('BUNDLE_FILE_NOT_REGULAR');
    expect(e.message).toContain('manifest.json in the bundle');
    expect(e.message).toContain('is a symbolic link');
    expect(e.message).not.toContain('SECRET');
  });

  it('a vocab.json linked to a file outside the folder is refused, even with the manifest re-signed to match it', async () => {
    const dir = await fresh();
    fs.rmSync(path.join(dir, 'vocab.json'));
    fs.symlinkSync(secret(), path.join(dir, 'vocab.json'));
    resign(dir, manifestOf(dir));
    const e = await refusal(() => readBundle(dir));
    expect(e.code).toBe('BUNDLE_FILE_NOT_REGULAR');
    expect(e.message).not.toContain('SECRET');
  });

  it('a weights.bin linked to /dev/zero is refused at once instead of being read forever', async () => {
    const dir = await fresh();
    fs.rmSync(path.join(dir, 'weights.bin'));
    fs.symlinkSync('/dev/zero', path.join(dir, 'weights.bin'));
    const e = await refusal(() => readBundle(dir));
    expect(e.code).toBe('BUNDLE_FILE_NOT_REGULAR');
    expect(e.details.file).toBe('weights.bin');
  });

  it('a named pipe in place of a file is refused without blocking', async () => {
    const dir = await fresh();
    fs.rmSync(path.join(dir, 'weights.bin'));
    execFileSync('mkfifo', [path.join(dir, 'weights.bin')]);
    const e = await refusal(() => readBundle(dir));
    expect(e.message).toContain('is a named pipe');
  });

  it('a link planted beside the bundle files is refused too', async () => {
    const dir = await fresh();
    fs.symlinkSync('/etc', path.join(dir, 'notes'));
    const e = await refusal(() => readBundle(dir));
    expect(e.code).toBe('BUNDLE_FILE_NOT_REGULAR');
    expect(e.details.file).toBe('notes');
  });
});

describe('sizes checked before reading', () => {
  it('a 3 GB weights.bin (sparse) is refused by its size without being read', async () => {
    const dir = await fresh();
    const fd = fs.openSync(path.join(dir, 'weights.bin'), 'r+');
    fs.ftruncateSync(fd, 3 * 1024 ** 3);
    fs.closeSync(fd);
    const e = await refusal(() => readBundle(dir));
    expect(e.code).toBe('BUNDLE_FILE_MODIFIED');
    expect(e.message).toMatch(/weights\.bin in .* has 3221225472 bytes, the manifest says \d+/);
  });

  it('a file the manifest declares over 2 GiB is refused, even when the folder really holds that much', async () => {
    const dir = await fresh();
    const fd = fs.openSync(path.join(dir, 'README.md'), 'r+');
    fs.ftruncateSync(fd, 2 * 1024 ** 3 + 1);
    fs.closeSync(fd);
    const m = manifestOf(dir);
    m.files['README.md'] = { sha256: '0'.repeat(64), bytes: 2 * 1024 ** 3 + 1 };
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
    expect((await refusal(() => readBundle(dir))).code).toBe('BUNDLE_FILE_TOO_LARGE');
  });

  it('a manifest.json of 5 MB is refused before it is parsed', async () => {
    const dir = await fresh();
    fs.writeFileSync(path.join(dir, 'manifest.json'), `{"pad": "${'x'.repeat(5 * 1024 * 1024)}"}`);
    expect((await refusal(() => readBundle(dir))).code).toBe('BUNDLE_FILE_TOO_LARGE');
  });
});

describe('the self-test', () => {
  it('is written at export: texts and the probabilities of every label; the bundle loads and passes it', async () => {
    const dir = await fresh();
    const m = manifestOf(dir);
    expect(m.formatVersion).toBe(2);
    expect(m.selfTest.texts.length).toBeGreaterThanOrEqual(3);
    expect(Object.keys(m.selfTest.probabilities[0]).sort()).toEqual([...LABELS].sort());
    const model = await loadBundle(dir);
    const preds = await model.classify(m.selfTest.texts);
    model.dispose();
    preds.forEach((p, i) => LABELS.forEach((l) => expect(p.probabilities[l]).toBeCloseTo(m.selfTest.probabilities[i][l], 5)));
  });

  it('refuses a manifest whose labels were reordered', async () => {
    const dir = await fresh();
    const m = manifestOf(dir);
    m.labels = [m.labels[2], m.labels[0], m.labels[1]];
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
    const e = await refusal(() => loadBundle(dir));
    expect(e.code).toBe('BUNDLE_SELF_TEST_FAILED');
    expect(e.message).toMatch(/fails its self-test: for the text ".*" it gives ".*" a probability of [\d.]+, where the export recorded [\d.]+/);
  });

  it('refuses a manifest that declares logits for a softmax output', async () => {
    const dir = await fresh();
    const m = manifestOf(dir);
    m.model.output = 'logits';
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
    const e = await refusal(() => loadBundle(dir));
    expect(e.code).toBe('BUNDLE_MANIFEST_INVALID');
    expect(e.message).toContain('the manifest says the model outputs logits, but its last layer computes softmax');
  });

  it('refuses a vocabulary from another export, even with the checksums re-signed', async () => {
    const dir = await fresh();
    const foreign = await fresh(other);
    fs.copyFileSync(path.join(foreign, 'vocab.json'), path.join(dir, 'vocab.json'));
    const m = manifestOf(dir);
    m.vocabularySize = other.pipeline.vocabulary.length;
    resign(dir, m);
    expect(() => readBundle(dir)).not.toThrow();
    expect((await refusal(() => loadBundle(dir))).code).toBe('BUNDLE_SELF_TEST_FAILED');
  });

  it('refuses a format 2 manifest whose self-test was removed; a format 1 bundle (written before self-tests) still loads', async () => {
    const dir = await fresh();
    const m = manifestOf(dir);
    delete m.selfTest;
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
    const e = await refusal(() => readBundle(dir));
    expect(e.code).toBe('BUNDLE_MANIFEST_INVALID');
    expect(e.message).toContain('selfTest is missing');
    m.formatVersion = 1;
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
    const model = await loadBundle(dir);
    expect(model.labels).toEqual(LABELS);
    model.dispose();
  });

  it('the workspace refuses to import a bundle that fails its self-test (classification worker path)', async () => {
    const dir = await fresh();
    const m = manifestOf(dir);
    m.labels = [...m.labels].reverse();
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
    const wb = Workbench.open({ workspace: path.join(tmp, 'ws') });
    try {
      const e = await refusal(() => wb.models.importBundle(dir));
      expect(e.code).toBe('BUNDLE_SELF_TEST_FAILED');
      expect(wb.models.list()).toEqual([]);
    } finally {
      await wb.close();
    }
  });
});
