// Training throughput of the engine's own loop (class weights, stats, doctor hooks and all) for each model with
// its default hyperparameters on the UCI sentiment train split, on each backend that loads here.
// The LSTM/GRU kernel-level comparison with PyTorch lives in the compute bench; this one measures what a user gets.
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendName } from '../../main/engine/compute/backend.ts';
import { fitPipeline } from '../../main/engine/text/pipeline.ts';
import { modelBuilder, MODEL_INPUT } from '../../main/engine/train/models.ts';
import { trainLoop } from '../../main/engine/train/loop.ts';
import { resolveConfig } from '../../main/engine/train/config.ts';
import { autoL2 } from '../../main/engine/train/prepare.ts';
import { LABELS, uciRows } from '../unit/loop-fixtures.ts';
import type { ModelName } from '../../shared/training.ts';

export async function run(): Promise<void> {
  const rows = uciRows();
  const train = rows.filter((r) => r.split === 'train');
  const val = rows.filter((r) => r.split === 'test');
  const models: ModelName[] = ['linear', 'baseline', 'lstm', 'gru'];
  const lines: string[] = [];
  for (const backend of ['wasm', 'cpu'] as BackendName[]) {
    try {
      await initBackend(backend);
    } catch (err) {
      console.log(`${backend}: does not load (${(err as Error).message})`);
      continue;
    }
    for (const name of models) {
      const cfg = resolveConfig({ model: name });
      const pipeline = fitPipeline(
        train.map((r) => r.text),
        MODEL_INPUT[name] === 'ngrams' ? { tokens: 'ngrams' } : { tokens: 'words', minCount: cfg.minCount },
      );
      const ds = (rs: typeof train) => ({ inputs: pipeline.encode(rs.map((r) => r.text)).inputs, labels: Int32Array.from(rs, (r) => LABELS.indexOf(r.label)) });
      const model = modelBuilder(name, { ...cfg, l2: cfg.l2 ?? autoL2(train.length) })({ inputDim: pipeline.inputDim, sequenceLength: pipeline.sequenceLength, classes: 2 }, 1);
      const res = await trainLoop(model, ds(train), ds(val), LABELS, { ...cfg, epochs: 2, patience: 1, earlyStop: 'none' });
      const sps = res.state.history.map((h) => h.samplesPerSecond);
      lines.push(
        `${backend.padEnd(5)} ${name.padEnd(9)} batch ${cfg.batchSize}, sequence ${pipeline.sequenceLength}, ${pipeline.inputDim} ids: ` +
          `${Math.round(sps[1]!)} samples/s (epoch 2; epoch 1 ${Math.round(sps[0]!)})`,
      );
      console.log(lines.at(-1));
      model.dispose();
    }
  }
  console.log(`tensors alive at the end: ${tf.memory().numTensors}`);
}
