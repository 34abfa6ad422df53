// Every recipe builds, has the layer structure its story describes (issue 7), and takes a training step.
import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { RECIPES, charsLstmUnits, summarizeModel, type LayerSummary } from '../../main/engine/train/recipes.ts';
import { registerFusedRnnKernels } from '../../main/engine/compute/kernels.ts';

const dims = { inputDim: 60, sequenceLength: 12, classes: 22 };

// Recipes without recurrent dropout build their last LSTM/GRU with recurrentLayer(), which gives the fused twin
// (TextbenchFusedLSTM/GRU: same math and weights, compute/fused-rnn.ts) when the backend has the fused kernels; the
// structure is the same either way, so the fused class names count as LSTM/GRU here.
const STANDARD_TWIN: Record<string, string> = { TextbenchFusedLSTM: 'LSTM', TextbenchFusedGRU: 'GRU' };

function classes(layers: LayerSummary[]): string[] {
  return layers.map((l) => STANDARD_TWIN[l.className] ?? l.className);
}

async function oneStep(model: tf.LayersModel, d: { inputDim: number; sequenceLength: number; classes: number }): Promise<number[]> {
  const n = 8;
  const ids = tf.tidy(() => tf.randomUniform([n, d.sequenceLength], 0, d.inputDim, 'int32', 7));
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: n }, (_, i) => i % d.classes), 'int32'), d.classes));
  const opt = tf.train.adam(1e-2);
  const losses: number[] = [];
  for (let i = 0; i < 2; i++) {
    const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, tf.log(tf.add(model.apply(ids, { training: true }) as tf.Tensor, 1e-7))), true);
    losses.push((await loss!.data())[0]!);
    loss!.dispose();
  }
  tf.dispose([ids, y]);
  opt.dispose();
  return losses;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('recipes', () => {
  it('each has a name, a title, a paragraph and training settings', () => {
    for (const [key, r] of Object.entries(RECIPES)) {
      expect(r.name).toBe(key);
      expect(r.description.length).toBeGreaterThan(150);
      expect(r.training?.optimizer).toBeDefined();
    }
    expect(Object.keys(RECIPES)).toEqual(
      expect.arrayContaining(['jobs-lstm-1', 'jobs-lstm-2', 'jobs-lstm-3', 'jobs-minimal', 'sentiment-ffnn', 'sentiment-gru', 'chars-lstm', 'chars-lstm-2']),
    );
    expect(RECIPES['sentiment-gru']!.title).toMatch(/learning rate 0\.001/);
    expect(RECIPES['jobs-minimal']!.training).toMatchObject({ loss: 'topk', k: 16 });
    expect(RECIPES['jobs-minimal']!.training!.batchSize).toBeGreaterThanOrEqual(128);
    expect(RECIPES['jobs-minimal']!.training!.batchSize).toBeLessThanOrEqual(512);
    expect(RECIPES['chars-lstm']!.pipeline?.tokens).toBe('chars');
  });

  it('jobs-lstm-1: Embedding(80) → SpatialDropout1D(0.2) → LSTM(100, dropout 0.2, recurrent 0.2) → softmax', () => {
    const s = summarizeModel(RECIPES['jobs-lstm-1']!.build(dims, 1));
    expect(classes(s)).toEqual(['Embedding', 'SpatialDropout1D', 'LSTM', 'Dense']);
    expect(s[0]!.config.outputDim).toBe(80);
    expect(s[1]!.config.rate).toBe(0.2);
    expect(s[2]!.config).toMatchObject({ units: 100, dropout: 0.2, recurrentDropout: 0.2 });
    expect(s[3]!.config).toMatchObject({ units: 22, activation: 'softmax' });
  });

  it('jobs-lstm-2: Embedding(80) → LSTM(100) → Dropout(0.5) → Dense(128, relu, he) → Dropout → Dense(64) → Dropout → softmax', () => {
    const s = summarizeModel(RECIPES['jobs-lstm-2']!.build(dims, 1));
    expect(classes(s)).toEqual(['Embedding', 'LSTM', 'Dropout', 'Dense', 'Dropout', 'Dense', 'Dropout', 'Dense']);
    expect(s[1]!.config.units).toBe(100);
    expect([s[2], s[4], s[6]].map((l) => l!.config.rate)).toEqual([0.5, 0.5, 0.5]);
    expect(s[3]!.config).toMatchObject({ units: 128, activation: 'relu', kernelInitializer: 'VarianceScaling' });
    expect(s[5]!.config).toMatchObject({ units: 64, activation: 'relu' });
    expect(s[7]!.config).toMatchObject({ units: 22, activation: 'softmax' });
  });

  it('jobs-lstm-3: frozen Embedding(80) → SpatialDropout1D(0.4) → LSTM(100, 0.4, 0.4) → 3× Dense(sigmoid) + BatchNorm → softmax', () => {
    const s = summarizeModel(RECIPES['jobs-lstm-3']!.build(dims, 1));
    expect(classes(s)).toEqual([
      'Embedding', 'SpatialDropout1D', 'LSTM', 'Dense', 'BatchNormalization', 'Dense', 'BatchNormalization', 'Dense', 'BatchNormalization', 'Dense',
    ]);
    expect(s[0]!.trainable).toBe(false);
    expect(s[0]!.config.outputDim).toBe(80);
    expect(s[1]!.config.rate).toBe(0.4);
    expect(s[2]!.config).toMatchObject({ units: 100, dropout: 0.4, recurrentDropout: 0.4 });
    expect([s[3], s[5], s[7]].map((l) => [l!.config.units, l!.config.activation])).toEqual([[128, 'sigmoid'], [64, 'sigmoid'], [32, 'sigmoid']]);
    expect(s[9]!.config.activation).toBe('softmax');
  });

  it('jobs-minimal: LSTM units = ceil(classes / 4)', () => {
    const s = summarizeModel(RECIPES['jobs-minimal']!.build(dims, 1));
    expect(classes(s)).toEqual(['Embedding', 'LSTM', 'Dense']);
    expect(s[1]!.config.units).toBe(6);
    const s30 = summarizeModel(RECIPES['jobs-minimal']!.build({ ...dims, classes: 30 }, 1));
    expect(s30[1]!.config.units).toBe(8);
  });

  it('sentiment-ffnn and sentiment-gru', () => {
    const f = summarizeModel(RECIPES['sentiment-ffnn']!.build({ ...dims, classes: 2 }, 1));
    expect(classes(f)).toEqual(['Embedding', 'GlobalMaxPooling1D', 'Dense', 'Dense']);
    expect(f[0]!.config.outputDim).toBe(32);
    expect(f[2]!.config).toMatchObject({ units: 10, activation: 'relu' });
    expect(f[3]!.config).toMatchObject({ units: 2, activation: 'softmax' });
    expect(RECIPES['sentiment-ffnn']!.training!.optimizer).toBe('rmsprop');
    const g = summarizeModel(RECIPES['sentiment-gru']!.build({ ...dims, classes: 2 }, 1));
    expect(classes(g)).toEqual(['Embedding', 'GRU', 'Dense']);
    expect(g[0]!.config.outputDim).toBe(32);
    expect(g[1]!.config.units).toBe(32);
    expect(RECIPES['sentiment-gru']!.training).toMatchObject({ optimizer: 'rmsprop', learningRate: 1e-3 });
  });

  it('chars-lstm is one-hot characters into an LSTM scaled to the data, 1024 units at full size', () => {
    expect(charsLstmUnits(undefined)).toBe(128);
    expect(charsLstmUnits(300)).toBe(32);
    expect(charsLstmUnits(15_000)).toBe(256);
    expect(charsLstmUnits(10_000_000)).toBe(1024);
    const s = summarizeModel(RECIPES['chars-lstm']!.build({ ...dims, trainExamples: 2000 } as typeof dims, 1));
    expect(classes(s)).toEqual(['Embedding', 'LSTM', 'Dense']);
    expect(s[0]!.trainable).toBe(false);
    expect(s[0]!.config.outputDim).toBe(dims.inputDim);
    expect(s[1]!.config.units).toBe(64);
    // Building the 1024-unit model is cheap (no orthogonal init); it is not trained here.
    const full = summarizeModel(RECIPES['chars-lstm-full']!.build(dims, 1));
    expect(full[1]!.config.units).toBe(1024);
  });

  it('chars-lstm-2: LSTM(return sequences) → TimeDistributed(Dense) → LSTM → softmax', () => {
    const s = summarizeModel(RECIPES['chars-lstm-2']!.build(dims, 1));
    expect(classes(s)).toEqual(['Embedding', 'LSTM', 'TimeDistributed', 'LSTM', 'Dense']);
    expect(s[1]!.config.returnSequences).toBe(true);
    expect(s[2]!.config.layer).toMatchObject({ className: 'Dense' });
    expect(s[2]!.outputShape).toEqual([null, dims.sequenceLength, s[1]!.config.units]);
  });

  it('every recipe except the full-size one takes two finite training steps', async () => {
    for (const r of Object.values(RECIPES)) {
      if (r.name === 'chars-lstm-full') continue;
      const d = r.story === 'plateau' ? { ...dims, classes: 2 } : dims;
      const model = r.build(d, 3);
      const losses = await oneStep(model, d);
      expect(losses.every(Number.isFinite), r.name).toBe(true);
      model.dispose();
    }
  });
});

// Last in the file: registering the fused kernels on cpu is global, and the tests above build without them.
describe('recipes with the fused recurrent kernels', () => {
  it('every recurrent layer of every recipe is the fused LSTM/GRU (recurrent dropout and returned sequences included), and they train', async () => {
    expect(registerFusedRnnKernels('cpu')).toBe(true);
    const raw = (name: string, d = dims) => summarizeModel(RECIPES[name]!.build(d, 1)).map((l) => l.className);
    expect(raw('sentiment-gru', { ...dims, classes: 2 })).toEqual(['Embedding', 'TextbenchFusedGRU', 'Dense']);
    expect(raw('jobs-minimal')).toEqual(['Embedding', 'TextbenchFusedLSTM', 'Dense']);
    expect(raw('jobs-lstm-2')[1]).toBe('TextbenchFusedLSTM');
    expect(raw('jobs-lstm-1')[2]).toBe('TextbenchFusedLSTM');
    expect(raw('jobs-lstm-3')[2]).toBe('TextbenchFusedLSTM');
    for (const name of Object.keys(RECIPES)) {
      expect(raw(name).filter((c) => c === 'LSTM' || c === 'GRU'), name).toEqual([]);
    }
    for (const name of ['sentiment-gru', 'jobs-minimal', 'jobs-lstm-1']) {
      const d = name === 'sentiment-gru' ? { ...dims, classes: 2 } : dims;
      const model = RECIPES[name]!.build(d, 3);
      const losses = await oneStep(model, d);
      expect(losses.every(Number.isFinite), name).toBe(true);
      model.dispose();
    }
  });
});
