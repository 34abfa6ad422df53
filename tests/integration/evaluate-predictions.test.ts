// Every prediction of an evaluated split is stored: each confusion-matrix cell opens exactly its examples (as many
// as the cell counts), their stored probabilities are the model's own (the same as classifying the texts again),
// a later relabel does not move an example out of its cell, and the reliability diagram adds up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Evaluation } from '../../shared/domain.ts';
import { tempWorkbench, repoRoot } from '../fixtures/data.ts';
import type { Workbench } from '../../main/engine/workbench.ts';

const SAMPLE = path.join(repoRoot, 'assets/sample/job-duties.csv');
let wb: Workbench;
let cleanup: () => Promise<void>;
let run: string;
let test: Evaluation;

beforeAll(async () => {
  ({ wb, cleanup } = tempWorkbench());
  await wb.data.importFile(SAMPLE, { project: 'duties' });
  const res = await wb.training.train({ project: 'duties', model: 'linear', epochs: 4 });
  expect(res.status).toBe('finished');
  run = res.run;
  test = await wb.training.evaluate(run, 'test');
});

afterAll(() => cleanup());

describe('stored predictions of an evaluated split', () => {
  it('each confusion cell opens exactly as many examples as it counts, all of that true and predicted label', () => {
    const { labels, matrix } = test.confusion;
    expect(labels.length).toBe(22);
    let cells = 0;
    for (let i = 0; i < labels.length; i++) {
      for (let j = 0; j < labels.length; j++) {
        const page = wb.data.examples('duties', { prediction: { run, split: 'test', label: labels[i]!, predicted: labels[j]! }, limit: 1000 });
        expect(page.total, `${labels[i]} → ${labels[j]}`).toBe(matrix[i]![j]!);
        for (const row of page.rows) {
          expect(row.label).toBe(labels[i]);
          expect(row.split).toBe('test');
          expect(page.predictions![row.id]!.label).toBe(labels[j]);
        }
        cells += page.total;
      }
    }
    const testRows = wb.data.examples('duties', { split: 'test', limit: 1 }).total;
    expect(cells).toBe(testRows);
  });

  it('the stored probabilities are what the model says when it classifies the texts again', async () => {
    const page = wb.data.examples('duties', { prediction: { run, split: 'test' }, limit: 40 });
    const again = await wb.models.classify({ run, texts: page.rows.map((r) => r.text) });
    page.rows.forEach((r, i) => {
      expect(page.predictions![r.id]!.label).toBe(again[i]!.label);
      expect(page.predictions![r.id]!.probability).toBeCloseTo(again[i]!.probability, 5);
    });
  });

  it('a relabelled example stays in the cell of the label it had when the run was evaluated', () => {
    const { labels, matrix } = test.confusion;
    const i = matrix.findIndex((row, k) => row[k]! > 0);
    const page = wb.data.examples('duties', { prediction: { run, split: 'test', label: labels[i]!, predicted: labels[i]! }, limit: 1 });
    const other = labels.find((l) => l !== labels[i])!;
    const edit = wb.data.relabel('duties', [page.rows[0]!.id], other, 'tester');
    try {
      const after = wb.data.examples('duties', { prediction: { run, split: 'test', label: labels[i]!, predicted: labels[i]! }, limit: 1000 });
      expect(after.total).toBe(matrix[i]![i]!);
      expect(after.rows.some((r) => r.id === page.rows[0]!.id && r.label === other)).toBe(true);
    } finally {
      wb.data.undo('duties', edit.batchId);
    }
  });

  it('the reliability diagram bins every prediction, and its accuracy is the evaluation accuracy', async () => {
    const rel = await wb.training.reliability(run, 'test');
    const total = rel.bins.reduce((s, b) => s + b.count, 0);
    expect(rel.examples).toBe(total);
    expect(total).toBe(test.confusion.matrix.flat().reduce((a, b) => a + b, 0));
    const right = rel.bins.reduce((s, b) => s + (b.accuracy ?? 0) * b.count, 0);
    expect(right / total).toBeCloseTo(test.accuracy, 9);
    for (const b of rel.bins) {
      if (!b.count) continue;
      expect(b.confidence!).toBeGreaterThanOrEqual(b.from - 1e-6);
      expect(b.confidence!).toBeLessThanOrEqual(b.to + 1e-6);
    }
    // ECE from the bins, recomputed here.
    const ece = rel.bins.reduce((s, b) => s + (b.count ? (b.count / total) * Math.abs(b.accuracy! - b.confidence!) : 0), 0);
    expect(rel.ece).toBeCloseTo(ece, 12);
    expect(rel.ece).toBeGreaterThanOrEqual(0);
  });

  it('a split evaluated on demand (train) stores its predictions too; an unknown label names the run labels', async () => {
    expect(() => wb.data.examples('duties', { prediction: { run, split: 'train' } })).toThrow(/no stored predictions on its train split/);
    const ev = await wb.training.evaluate(run, 'train');
    const page = wb.data.examples('duties', { prediction: { run, split: 'train' }, limit: 1 });
    expect(page.total).toBe(ev.confusion.matrix.flat().reduce((a, b) => a + b, 0));
    expect(() => wb.data.examples('duties', { prediction: { run, split: 'test', label: 'Astronauts' } })).toThrow(/has no label "Astronauts"/);
  });
});
