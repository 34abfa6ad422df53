// Every recipe builds on real data through the real text pipeline (word or character tokens) and trains a few
// steps with the real loop; one recipe also goes through the training service end to end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { initBackend } from '../../main/engine/compute/backend.ts';
import { fitPipeline } from '../../main/engine/text/pipeline.ts';
import { RECIPES, summarizeModel, type RecipeDims } from '../../main/engine/train/recipes.ts';
import { trainLoop } from '../../main/engine/train/loop.ts';
import { Workbench } from '../../main/engine/workbench.ts';
import { SETTINGS, uciRows, repoRoot } from '../unit/loop-fixtures.ts';

const ONET = path.resolve(repoRoot, '../shared/datasets/onet_tasks/onet_tasks_split.csv');
interface Row { text: string; label: string }

let onet: Row[];
let uci: Row[];
beforeAll(async () => {
  await initBackend();
  const all = parse(fs.readFileSync(ONET, 'utf8'), { columns: true }) as Array<{ task: string; major_group: string; split: string }>;
  // Every 97th row: a spread over all 22 groups.
  onet = all.filter((_, i) => i % 97 === 0).map((r) => ({ text: r.task, label: r.major_group }));
  uci = uciRows().filter((r) => r.split === 'train').slice(0, 96).map((r) => ({ text: r.text, label: r.label }));
});

describe('recipes train on real data', () => {
  for (const name of Object.keys(RECIPES)) {
    if (name === 'chars-lstm-full') continue; // 1024 units: built in the unit test, too slow to train here
    it(`${name} trains two steps`, async () => {
      const recipe = RECIPES[name]!;
      const rows = recipe.story === 'overfitting' ? onet : uci;
      const labels = [...new Set(rows.map((r) => r.label))].sort();
      const train = rows.slice(0, 64);
      const val = rows.slice(64, 96);
      // Short sequences keep the character models quick; the pipeline is otherwise the recipe's own.
      const pipeline = fitPipeline(train.map((r) => r.text), { ...recipe.pipeline, sequenceLength: recipe.pipeline?.tokens === 'chars' ? 48 : 16 });
      expect(pipeline.options.tokens).toBe(recipe.pipeline?.tokens ?? 'words');
      const dims: RecipeDims = { inputDim: pipeline.inputDim, sequenceLength: pipeline.sequenceLength, classes: labels.length, trainExamples: train.length };
      const model = recipe.build(dims, 5);
      expect(summarizeModel(model).at(-1)!.config).toMatchObject({ units: labels.length, activation: 'softmax' });
      const ds = (rs: Row[]) => ({ inputs: pipeline.encode(rs.map((r) => r.text)).inputs, labels: Int32Array.from(rs, (r) => labels.indexOf(r.label)) });
      const t = recipe.training!;
      const r = await trainLoop(model, ds(train), ds(val), labels, {
        ...SETTINGS,
        epochs: 1,
        batchSize: 32,
        optimizer: t.optimizer ?? 'adam',
        learningRate: t.learningRate ?? 1e-3,
        loss: t.loss ?? 'crossentropy',
        k: Math.min(t.k ?? 16, 16),
      });
      expect(r.epochs).toBe(1);
      const h = r.state.history[0]!;
      expect(Number.isFinite(h.trainLoss)).toBe(true);
      expect(Number.isFinite(h.validationLoss)).toBe(true);
      model.dispose();
    });
  }
});

describe('a recipe through the training service', () => {
  let dir: string;
  let wb: Workbench;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'textbench-recipes-'));
    const csv = path.join(dir, 'onet-mini.csv');
    const q = (v: string) => `"${v.replace(/"/g, '""')}"`;
    const all = parse(fs.readFileSync(ONET, 'utf8'), { columns: true }) as Array<{ task: string; major_group: string; split: string }>;
    const picked = all.filter((_, i) => i % 40 === 0);
    fs.writeFileSync(csv, ['task,major_group,split', ...picked.map((r) => [q(r.task), q(r.major_group), r.split].join(','))].join('\n') + '\n');
    wb = Workbench.open({ workspace: path.join(dir, 'ws') });
    await wb.data.importFile(csv, { project: 'onet-mini', text: ['task'], label: 'major_group', split: 'split' });
  });
  afterAll(async () => {
    await wb?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('jobs-minimal trains with its top-k loss and batch size, with doctor findings stored', async () => {
    const result = await wb.training.train({ recipe: 'jobs-minimal', epochs: 2, seed: 1 });
    expect(result.status, result.error).toBe('finished');
    const d = wb.training.get(result.run);
    expect(d.config).toMatchObject({ recipe: 'jobs-minimal', loss: 'topk', k: 16, batchSize: 256 });
    expect(d.curve).toHaveLength(2);
    // The O*NET labels are imbalanced (17:1 on the full set): the doctor says so before training.
    expect(d.findings.some((f) => f.kind === 'imbalance' && f.epochs[0] === 0)).toBe(true);
  });
});

describe('textbench recipes', () => {
  it('lists every recipe with its paragraph and settings, as text and as JSON', async () => {
    const { main } = await import('../../main/cli/index.ts');
    const out: string[] = [];
    expect(await main(['recipes', '--json'], { out: (l) => out.push(l), err: () => {} })).toBe(0);
    const list = JSON.parse(out[0]!) as Array<{ name: string; description: string; training: { learningRate?: number } }>;
    expect(list.map((r) => r.name)).toEqual(Object.keys(RECIPES));
    expect(list.every((r) => r.description.length > 150 && typeof r.training.learningRate === 'number')).toBe(true);
    const text: string[] = [];
    expect(await main(['recipes', 'sentiment-gru'], { out: (l) => text.push(l), err: () => {} })).toBe(0);
    expect(text.join('\n')).toMatch(/learning rate 0\.001 · rmsprop/);
    const err: string[] = [];
    expect(await main(['recipes', 'nope'], { out: () => {}, err: (l) => err.push(l) })).toBe(1);
    expect(err.join('\n')).toMatch(/Unknown recipe "nope"/);
  });
});
