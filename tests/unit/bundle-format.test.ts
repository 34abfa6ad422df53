import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeBundle, type BundleContents } from '../../main/engine/bundle/writer.ts';
import { readBundle } from '../../main/engine/bundle/reader.ts';
import { modelToArtifacts } from '../../main/engine/train/artifacts.ts';
import { BUNDLE_FORMAT_VERSION } from '../../shared/bundle.ts';
import { TextbenchError } from '../../main/engine/errors.ts';
import { tinyModel, wordPipelineJSON, WordPipeline } from './bundle-helpers.ts';
import { FusedGRU, FusedLSTM } from '../../main/engine/compute/fused-rnn.ts';
import { Classifier } from '../../main/engine/bundle/classifier.ts';
import { modelFromParts } from '../../main/engine/bundle/loader.ts';

let tmp: string;
let contents: BundleContents;

beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-bundle-format-'));
  const pipeline = wordPipelineJSON();
  const model = tinyModel(pipeline.vocabulary.length, pipeline.sequenceLength, 3);
  contents = {
    name: 'sentiment',
    artifacts: await modelToArtifacts(model),
    pipeline,
    labels: ['negative', 'neutral', 'positive'],
    inputs: model.inputs.map((i) => i.name),
    model: { type: 'baseline', config: { epochs: 2 } },
    training: { run: 'run-1', project: 'prj-1', dataHash: 'abc123', backend: 'cpu', epoch: 2, checkpoint: 'best' },
    metrics: { test: { accuracy: 0.75, macroF1: 0.7 } },
  };
  model.dispose();
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A fresh, valid bundle in its own folder. */
async function freshBundle(name: string): Promise<string> {
  const dir = path.join(tmp, name);
  await writeBundle(dir, contents);
  return dir;
}

function refusal(dir: string): TextbenchError {
  try {
    readBundle(dir);
  } catch (err) {
    expect(err).toBeInstanceOf(TextbenchError);
    return err as TextbenchError;
  }
  throw new Error(`readBundle(${dir}) accepted a bundle it should refuse`);
}

function leftovers(): string[] {
  return fs.readdirSync(tmp).filter((f) => f.includes('.tmp-') || f.includes('.old-'));
}

describe('bundle writer', () => {
  it('writes manifest, model.json in tfjs layers format, weights, vocab and README, with checksums', async () => {
    const dir = path.join(tmp, 'ok');
    const written = await writeBundle(dir, contents);
    expect(written.files).toEqual(['README.md', 'manifest.json', 'model.json', 'vocab.json', 'weights.bin']);
    expect(fs.readdirSync(dir).sort()).toEqual(written.files);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({
      kind: 'textbench-bundle',
      formatVersion: BUNDLE_FORMAT_VERSION,
      labels: ['negative', 'neutral', 'positive'],
      vocabularyFile: 'vocab.json',
      sequenceLength: 6,
      tokenizer: { tokens: 'words', lowercase: true, long: 'truncate' },
      model: { type: 'baseline', output: 'softmax' },
      training: { dataHash: 'abc123', backend: 'cpu' },
      metrics: { test: { accuracy: 0.75 } },
    });
    expect(Object.keys(manifest.files).sort()).toEqual(['README.md', 'model.json', 'vocab.json', 'weights.bin']);
    const modelJson = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    expect(modelJson.format).toBe('layers-model');
    expect(modelJson.weightsManifest).toHaveLength(1);
    expect(modelJson.weightsManifest[0].paths).toEqual(['weights.bin']);
    expect(modelJson.modelTopology.class_name).toBe('Sequential');
    const weightBytes = modelJson.weightsManifest[0].weights.reduce(
      (n: number, w: { shape: number[] }) => n + 4 * w.shape.reduce((a, b) => a * b, 1),
      0,
    );
    expect(fs.statSync(path.join(dir, 'weights.bin')).size).toBe(weightBytes);
    const readme = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
    expect(readme).toContain('- positive');
    expect(readme).toContain('75.0%');
    expect(readme).toContain('textbench classify --bundle');
    const verified = readBundle(dir);
    expect(verified.manifest.labels).toEqual(contents.labels);
    expect(verified.pipeline).toEqual(contents.pipeline);
    expect(written.sha256['weights.bin']).toBe(manifest.files['weights.bin'].sha256);
  });

  it('refuses an existing folder without force, and replaces it with force', async () => {
    const dir = await freshBundle('exists');
    const before = fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8');
    await expect(writeBundle(dir, contents)).rejects.toMatchObject({ code: 'BUNDLE_TARGET_EXISTS' });
    expect(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')).toBe(before);
    fs.writeFileSync(path.join(dir, 'stale.txt'), 'from the old folder');
    await writeBundle(dir, { ...contents, name: 'replaced' }, { force: true });
    expect(fs.existsSync(path.join(dir, 'stale.txt'))).toBe(false);
    expect(readBundle(dir).manifest.name).toBe('replaced');
    expect(leftovers()).toEqual([]);
  });

  it('a failure mid-export leaves no half folder, and an existing bundle intact', async () => {
    const dir = path.join(tmp, 'failing');
    const boom = async (file: string) => {
      if (file === 'weights.bin') throw new Error('disk full (injected)');
    };
    await expect(writeBundle(dir, contents, { afterFile: boom })).rejects.toThrow('disk full');
    expect(fs.existsSync(dir)).toBe(false);
    expect(leftovers()).toEqual([]);

    const existing = await freshBundle('failing-existing');
    const snapshot = Object.fromEntries(fs.readdirSync(existing).map((f) => [f, fs.readFileSync(path.join(existing, f))]));
    // Fails on the very last file (the manifest), just before the swap.
    await expect(
      writeBundle(existing, contents, { force: true, afterFile: (f) => { if (f === 'manifest.json') throw new Error('killed (injected)'); } }),
    ).rejects.toThrow('killed');
    expect(Object.fromEntries(fs.readdirSync(existing).map((f) => [f, fs.readFileSync(path.join(existing, f))]))).toEqual(snapshot);
    expect(leftovers()).toEqual([]);
    expect(readBundle(existing).manifest.name).toBe('sentiment');
  });
});

describe('bundle loader refuses', () => {
  it('a folder that does not exist', () => {
    const e = refusal(path.join(tmp, 'nowhere'));
    expect(e.code).toBe('BUNDLE_NOT_FOUND');
    expect(e.message).toMatch(/no bundle folder at .*nowhere/);
  });

  it('a folder that is not a bundle (no manifest; a plain tfjs model gets a hint)', async () => {
    const dir = await freshBundle('no-manifest');
    fs.rmSync(path.join(dir, 'manifest.json'));
    const e = refusal(dir);
    expect(e.code).toBe('NOT_A_BUNDLE');
    expect(e.message).toContain('has no manifest.json');
    expect(e.message).toContain('plain TensorFlow.js model');
    expect(e.message).toContain('textbench export');
  });

  it('a manifest that is not JSON', async () => {
    const dir = await freshBundle('bad-json');
    fs.writeFileSync(path.join(dir, 'manifest.json'), '{"kind": "textbench-bundle", ');
    const e = refusal(dir);
    expect(e.code).toBe('NOT_A_BUNDLE');
    expect(e.message).toContain('manifest.json is not valid JSON');
  });

  it('a manifest of another kind of file', async () => {
    const dir = await freshBundle('other-kind');
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ name: 'my-app', version: '1.0.0' }));
    const e = refusal(dir);
    expect(e.code).toBe('NOT_A_BUNDLE');
    expect(e.message).toContain('is not a Textbench model bundle');
  });

  it('a bundle from a newer format version', async () => {
    const dir = await freshBundle('newer');
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    m.formatVersion = BUNDLE_FORMAT_VERSION + 1;
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
    const e = refusal(dir);
    expect(e.code).toBe('BUNDLE_TOO_NEW');
    expect(e.message).toContain(`format version ${BUNDLE_FORMAT_VERSION + 1}`);
    expect(e.message).toContain('Update Textbench');
  });

  it('a bundle missing a file', async () => {
    const dir = await freshBundle('missing');
    fs.rmSync(path.join(dir, 'vocab.json'));
    const e = refusal(dir);
    expect(e.code).toBe('BUNDLE_FILE_MISSING');
    expect(e.message).toContain('missing the file vocab.json');
    expect(e.details.file).toBe('vocab.json');
  });

  it('a truncated weights file', async () => {
    const dir = await freshBundle('truncated');
    const file = path.join(dir, 'weights.bin');
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const e = refusal(dir);
    expect(e.code).toBe('BUNDLE_FILE_TRUNCATED');
    expect(e.message).toContain(`weights.bin in ${dir} is truncated`);
    expect(e.message).toContain(`the manifest says ${bytes.length}`);
  });

  it('an edited file of the same size', async () => {
    const dir = await freshBundle('edited');
    const file = path.join(dir, 'vocab.json');
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.replace('"good"', '"nice"'));
    const e = refusal(dir);
    expect(e.code).toBe('BUNDLE_FILE_MODIFIED');
    expect(e.message).toContain('vocab.json');
    expect(e.message).toContain('was changed after export');
  });

  it('edited weights (a flipped byte)', async () => {
    const dir = await freshBundle('flipped');
    const file = path.join(dir, 'weights.bin');
    const bytes = fs.readFileSync(file);
    bytes[10] = bytes[10]! ^ 0xff;
    fs.writeFileSync(file, bytes);
    expect(refusal(dir).code).toBe('BUNDLE_FILE_MODIFIED');
  });

  it('a manifest that points outside the folder', async () => {
    const dir = await freshBundle('escape');
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    m.files['../../etc/passwd'] = { sha256: '0'.repeat(64), bytes: 1 };
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
    const e = refusal(dir);
    expect(e.code).toBe('BUNDLE_MANIFEST_INVALID');
    expect(e.message).toContain('not a plain file name');
  });
});

describe('portable model.json', () => {
  it.each([
    ['LSTM', FusedLSTM],
    ['GRU', FusedGRU],
  ] as const)("replaces the project's fused %s with the standard layer that computes the same", async (standard, Fused) => {
    const pipeline = wordPipelineJSON('truncate', 6);
    const init = (seed: number) => tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed });
    const net = tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: pipeline.vocabulary.length, outputDim: 4, inputLength: 6, embeddingsInitializer: init(1) }),
        new Fused({ units: 5, name: 'rnn_1', kernelInitializer: init(2), recurrentInitializer: init(3), biasInitializer: init(4) }),
        tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: init(5) }),
      ],
    });
    const dir = path.join(tmp, `fused-${standard}`);
    await writeBundle(dir, { ...contents, artifacts: await modelToArtifacts(net) }, { makePipeline: (j) => new WordPipeline(j) });
    const modelJson = fs.readFileSync(path.join(dir, 'model.json'), 'utf8');
    expect(modelJson).not.toContain('TextbenchFused');
    expect(JSON.parse(modelJson).modelTopology.config.layers[1]).toMatchObject({ class_name: standard, config: { name: 'rnn_1', units: 5 } });
    const texts = ['good film', 'bad awful phone great', 'не плохо 好'];
    const before = await new Classifier(net, new WordPipeline(pipeline), contents.labels, 'softmax').classify(texts);
    const b = readBundle(dir);
    const loaded = await modelFromParts({ origin: dir, ...b }, (j) => new WordPipeline(j));
    const after = await loaded.classify(texts);
    loaded.dispose();
    net.dispose();
    before.forEach((p, i) => {
      for (const l of contents.labels) expect(after[i]!.probabilities[l]).toBeCloseTo(p.probabilities[l]!, 5);
    });
  });
});
