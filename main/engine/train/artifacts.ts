import * as tf from '@tensorflow/tfjs';
// For its side effect: registers the FusedLSTM/FusedGRU layer classes, which the model zoo trains with and so
// checkpoints contain; without it tf.loadLayersModel cannot deserialize them (resume, evaluate, classify a run).
import '../compute/fused-rnn.ts';

import type { ModelArtifactsData } from '../store/runs.ts';

export type { ModelArtifactsData };

export async function modelToArtifacts(model: tf.LayersModel): Promise<ModelArtifactsData> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!captured?.modelTopology || !captured.weightSpecs || !captured.weightData) {
    throw new Error('TensorFlow.js returned incomplete model artifacts while saving.');
  }
  const data = captured.weightData;
  const buf = Array.isArray(data)
    ? Buffer.concat(data.map((b) => Buffer.from(b)))
    : Buffer.from(data as ArrayBuffer);
  return { topology: captured.modelTopology as object, weightSpecs: captured.weightSpecs, weights: buf };
}

export async function modelFromArtifacts(a: ModelArtifactsData): Promise<tf.LayersModel> {
  const ab = a.weights.buffer.slice(a.weights.byteOffset, a.weights.byteOffset + a.weights.byteLength) as ArrayBuffer;
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: a.topology, weightSpecs: a.weightSpecs, weightData: ab }));
}
