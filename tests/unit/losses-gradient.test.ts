// Top-k loss and class weights checked against gradients computed by hand: for softmax + cross-entropy,
// d(loss_i)/d(logits_i) = p_i - y_i, so the gradient of each training loss is known in closed form.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../main/engine/compute/backend.ts';
import { balancedClassWeights, perExampleCrossEntropy, trainingLoss, type LossSpec } from '../../main/engine/train/losses.ts';

beforeAll(async () => {
  await initBackend('cpu');
});

// Three examples, two classes. Example 1 is badly wrong, example 2 slightly wrong, example 0 right.
const LOGITS = [
  [2, 0],
  [-1, 1],
  [0.2, 0],
];
const LABELS = [0, 0, 1];

function softmax(row: number[]): number[] {
  const e = row.map(Math.exp);
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}
const P = LOGITS.map(softmax);
const CE = P.map((p, i) => -Math.log(p[LABELS[i]!]!));
/** Hand-computed d(ce_i)/d(logits_i). */
const G = P.map((p, i) => p.map((v, c) => v - (c === LABELS[i] ? 1 : 0)));

function gradient(spec: LossSpec, weights: Float32Array | null): { loss: number; grad: number[][] } {
  const z = tf.variable(tf.tensor2d(LOGITS));
  const y = tf.tensor1d(LABELS, 'int32');
  const { value, grads } = tf.variableGrads(() => trainingLoss(perExampleCrossEntropy(tf.softmax(z), y, 2, spec.labelSmoothing), weights, spec), [z]);
  const out = { loss: value.dataSync()[0]!, grad: grads[z.name]!.arraySync() as number[][] };
  tf.dispose([z, y, value, ...Object.values(grads)]);
  return out;
}

const ce: LossSpec = { kind: 'crossentropy', k: 0, labelSmoothing: 0 };

describe('training losses', () => {
  it('plain cross-entropy: mean of per-example losses, gradient (p - y) / n', () => {
    const { loss, grad } = gradient(ce, null);
    expect(loss).toBeCloseTo((CE[0]! + CE[1]! + CE[2]!) / 3, 5);
    for (let i = 0; i < 3; i++) for (let c = 0; c < 2; c++) expect(grad[i]![c]!).toBeCloseTo(G[i]![c]! / 3, 5);
  });

  it('top-k with k = 2 trains only on the two hardest examples: the easy one gets a zero gradient', () => {
    const { loss, grad } = gradient({ kind: 'topk', k: 2, labelSmoothing: 0 }, null);
    // hardest: example 1 (ce ≈ 2.13), then example 2 (ce ≈ 0.80); example 0 (ce ≈ 0.13) is dropped
    expect(loss).toBeCloseTo((CE[1]! + CE[2]!) / 2, 5);
    expect(grad[0]!.map(Math.abs)).toEqual([0, 0]);
    for (const i of [1, 2]) for (let c = 0; c < 2; c++) expect(grad[i]![c]!).toBeCloseTo(G[i]![c]! / 2, 5);
  });

  it('top-k with k >= batch size is ordinary cross-entropy', () => {
    expect(gradient({ kind: 'topk', k: 3, labelSmoothing: 0 }, null).loss).toBeCloseTo(gradient(ce, null).loss, 6);
  });

  it('class weights scale each example gradient by its class weight', () => {
    const w = Float32Array.from([0.5, 0.5, 3]);
    const { loss, grad } = gradient(ce, w);
    expect(loss).toBeCloseTo((0.5 * CE[0]! + 0.5 * CE[1]! + 3 * CE[2]!) / 3, 5);
    for (let i = 0; i < 3; i++) for (let c = 0; c < 2; c++) expect(grad[i]![c]!).toBeCloseTo((w[i]! * G[i]![c]!) / 3, 5);
  });

  it('class weights change which examples top-k picks', () => {
    // weighted losses: 0.1*0.13, 0.1*2.13, 10*0.80 → with k = 1 only example 2 trains
    const { grad } = gradient({ kind: 'topk', k: 1, labelSmoothing: 0 }, Float32Array.from([0.1, 0.1, 10]));
    expect(grad[0]!.map(Math.abs)).toEqual([0, 0]);
    expect(grad[1]!.map(Math.abs)).toEqual([0, 0]);
    expect(grad[2]![0]!).toBeCloseTo(10 * G[2]![0]!, 4);
  });

  it('label smoothing moves the target: gradient p - ((1 - s) y + s / C)', () => {
    const s = 0.2;
    const { grad } = gradient({ kind: 'crossentropy', k: 0, labelSmoothing: s }, null);
    for (let i = 0; i < 3; i++) {
      for (let c = 0; c < 2; c++) {
        const target = (c === LABELS[i] ? 1 - s : 0) + s / 2;
        expect(grad[i]![c]!).toBeCloseTo((P[i]![c]! - target) / 3, 5);
      }
    }
  });

  it('balanced class weights are n / (classes × count)', () => {
    const w = Array.from(balancedClassWeights([0, 0, 0, 1], 2));
    expect(w[0]).toBeCloseTo(4 / 6, 6);
    expect(w[1]).toBeCloseTo(2, 6);
    // a class absent from train gets weight 0 and does not count among the classes
    expect(Array.from(balancedClassWeights([0, 0, 2], 3))).toEqual([0.75, 0, 1.5]);
  });
});
