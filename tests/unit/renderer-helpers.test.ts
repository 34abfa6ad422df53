// Pure helpers of the renderer: curve shaping, config diff, the confusion-matrix colour scale and cell filters,
// filters → query, paging, formatting, sorting, the live-run reducer and train settings.
import { describe, expect, it } from 'vitest';
import type { DoctorAction, Evaluation, Finding, TrainingEpoch } from '../../shared/domain.ts';
import type { ApiEvent, TrainPreset } from '../../shared/api.ts';
import { batchPoint, curveMarkers, epochCurves, etaSeconds, markerLegend, overlay } from '../../renderer/src/lib/curves.ts';
import { describeAction, remediesFor } from '../../renderer/src/lib/doctor.ts';
import { chanceLevel, chanceMargin, learnedVerdict } from '../../shared/verdict.ts';
import { configDiff, flatten } from '../../renderer/src/lib/diff.ts';
import { cellStyle, contrastRatio, relativeLuminance, rowShares } from '../../renderer/src/lib/colors.ts';
import { cellFilter, mostConfidentMistakes, moveInGrid, startCell } from '../../renderer/src/lib/confusion.ts';
import { EMPTY_FILTER, filterKey, isFiltered, pagesFor, toQuery } from '../../renderer/src/lib/filters.ts';
import { duration, errorLines, errorLocation, pct } from '../../renderer/src/lib/format.ts';
import { sortClasses, topProbabilities } from '../../renderer/src/lib/table.ts';
import { applyEvent, emptyLive, MAX_BATCH_POINTS } from '../../renderer/src/lib/live.ts';
import { knobsFromConfig, placeholderOf, presetOf, settingsFor } from '../../renderer/src/lib/presets.ts';
import { baseName, childPath } from '../../renderer/src/lib/paths.ts';
import { TrainSettingsSchema } from '../../shared/api.ts';
import type { RunSummary, TrainingConfig } from '../../shared/training.ts';
import { bestRun, defaultRun, usableRuns } from '../../renderer/src/lib/runs.ts';
import { reliabilitySummary } from '../../renderer/src/lib/reliability.ts';
import { editDistance, existingLabel, nearestLabel } from '../../renderer/src/lib/labels.ts';
import { leaderboard, trialTitle } from '../../renderer/src/lib/search.ts';
import type { LeaderboardEntry } from '../../shared/doctor.ts';
import type { DeviceInfo } from '../../shared/compute.ts';
import type { RunDetail } from '../../shared/training.ts';
import { deviceBadge, gpuOutOfMemory } from '../../renderer/src/lib/device.ts';
import { withResumeCommand } from '../../main/engine/train/job.ts';
import { TextbenchError } from '../../main/engine/errors.ts';

function epoch(n: number, over: Partial<TrainingEpoch> = {}): TrainingEpoch {
  return {
    epoch: n,
    trainLoss: 1 / n,
    trainAccuracy: 0.5 + n / 100,
    validationLoss: 1.1 / n,
    validationAccuracy: 0.5 + n / 200,
    validationMacroF1: 0.4 + n / 200,
    learningRate: 0.001,
    seconds: 2,
    samplesPerSecond: 1000,
    ...over,
  };
}

describe('curves', () => {
  it('orders epochs and turns NaN/Inf into gaps', () => {
    const [x, train, val] = epochCurves([epoch(2), epoch(1), epoch(3, { trainLoss: NaN, validationLoss: Infinity })], 'loss');
    expect(x).toEqual([1, 2, 3]);
    expect(train).toEqual([1, 0.5, null]);
    expect(val![2]).toBeNull();
    const acc = epochCurves([epoch(1)], 'accuracy');
    expect(acc[1]).toEqual([0.51]);
  });

  it('overlays runs with different epoch counts on one x axis', () => {
    const d = overlay([{ id: 'a', history: [epoch(1), epoch(2)] }, { id: 'b', history: [epoch(1), epoch(2), epoch(3)] }], 'validationLoss');
    expect(d[0]).toEqual([1, 2, 3]);
    expect(d[1]).toEqual([1.1, 0.55, null]);
    expect(d[2]![2]).toBeCloseTo(1.1 / 3);
  });

  it('places a batch inside its epoch', () => {
    expect(batchPoint(1, 0, 10)).toBe(0);
    expect(batchPoint(2, 5, 10)).toBe(1.5);
    expect(batchPoint(1, 3, 0)).toBe(0);
  });

  it('marks findings as ranges and actions as points, in epoch order', () => {
    const f: Finding = { kind: 'plateau', severity: 'warning', epochs: [3, 7], message: 'Loss sits still', evidence: {} };
    const a: DoctorAction = { kind: 'lr-change', epoch: 2, before: 0.001, after: 0.01, reason: 'plateau' };
    const data: Finding = { kind: 'data', severity: 'warning', epochs: [0, 0], message: 'leaks', evidence: { duplicatesAcrossSplits: 3 } };
    const m = curveMarkers([f, data], [a], 5);
    expect(m.map((x) => [x.epoch, x.to, x.tone, x.kind])).toEqual([
      [2, 2, 'action', 'Learning rate changed'],
      [3, 7, 'warning', 'Plateau'],
      [5, 5, 'best', 'Weights kept'],
    ]);
    expect(m[0]!.text).toBe('Changed the learning rate from 0.001 to 0.01 (plateau)');
    expect(markerLegend([...m, ...m]).map((l) => `${l.symbol} ${l.kind}`)).toEqual(['◆ Learning rate changed', '▲ Plateau', '★ Weights kept']);
  });

  it('estimates the time left from the mean epoch time', () => {
    expect(etaSeconds([epoch(1, { seconds: 2 }), epoch(2, { seconds: 4 })], 10)).toBe(24);
    expect(etaSeconds([], 10)).toBeNull();
    expect(etaSeconds([epoch(5)], 5)).toBe(0);
  });
});

describe('config diff', () => {
  it('flattens nested configs', () => {
    expect(flatten({ a: 1, b: { c: 'x', d: [1, 2] }, e: null })).toEqual({ a: '1', 'b.c': 'x', 'b.d': '[1,2]', e: 'null' });
  });

  it('lists differing settings first and marks keys missing from a run', () => {
    const rows = configDiff([
      { model: 'gru', learningRate: 0.001, epochs: 10 },
      { model: 'gru', learningRate: 0.01, epochs: 10, clipNorm: 1 },
    ]);
    expect(rows.map((r) => [r.key, r.differs])).toEqual([
      ['clipNorm', true],
      ['learningRate', true],
      ['epochs', false],
      ['model', false],
    ]);
    expect(rows[0]!.values).toEqual(['—', '1']);
  });
});

describe('confusion matrix', () => {
  it('normalises each row to shares of the true class', () => {
    expect(rowShares([
      [3, 1],
      [0, 0],
    ])).toEqual([
      [0.75, 0.25],
      [0, 0],
    ]);
  });

  it('colours from the background to a strong hue, and keeps the number at least 4.5:1 against its cell', () => {
    expect(cellStyle(0, true, false).background).toBe('rgb(255, 255, 255)');
    expect(cellStyle(0, false, true).background).toBe('rgb(30, 33, 40)');
    const strongCorrect = cellStyle(1, true, false);
    const strongMistake = cellStyle(1, false, false);
    expect(strongCorrect.background).not.toBe(strongMistake.background);
    expect(strongCorrect.color).toBe('#ffffff');
    expect(cellStyle(0.05, true, false).color).toBe('#000000');
    expect(cellStyle(NaN, true, false)).toEqual(cellStyle(0, true, false));
    expect(cellStyle(7, true, false)).toEqual(cellStyle(1, true, false));
    // Every share, both hues, both themes: the WCAG contrast of the number on its cell.
    for (const dark of [false, true]) {
      for (const correct of [false, true]) {
        for (let t = 0; t <= 1.0001; t += 0.01) {
          const st = cellStyle(t, correct, dark);
          const bg = relativeLuminance(st.background.match(/\d+/g)!.map(Number));
          const fg = st.color === '#ffffff' ? 1 : 0;
          expect(contrastRatio(bg, fg), `${st.background} ${st.color}`).toBeGreaterThanOrEqual(4.5);
        }
      }
    }
  });

  it('computes WCAG contrast as the reference examples give it', () => {
    // White on black is 21:1; #767676 on white is the classic just-passing grey (4.54:1).
    expect(contrastRatio(relativeLuminance([255, 255, 255]), relativeLuminance([0, 0, 0]))).toBeCloseTo(21, 6);
    expect(contrastRatio(relativeLuminance([0x76, 0x76, 0x76]), 1)).toBeCloseTo(4.54, 2);
  });

  const ev: Pick<Evaluation, 'run' | 'split' | 'mistakes' | 'confusion'> = {
    run: 'run-1',
    split: 'test',
    confusion: { labels: ['neg', 'pos'], matrix: [[5, 2], [1, 6]] },
    mistakes: [
      { exampleId: 11, text: 'a', label: 'neg', predicted: 'pos', probability: 0.6, probabilities: {} },
      { exampleId: 12, text: 'b', label: 'neg', predicted: 'pos', probability: 0.9, probabilities: {} },
      { exampleId: 13, text: 'c', label: 'pos', predicted: 'neg', probability: 0.7, probabilities: {} },
    ],
  };

  it('opens the stored predictions of a cell: its true and its predicted label on the evaluated split', () => {
    expect(cellFilter(ev, 0, 1)).toEqual({ prediction: { run: 'run-1', split: 'test', label: 'neg', predicted: 'pos' } });
    expect(cellFilter({ ...ev, split: 'validation' }, 1, 1)).toEqual({ prediction: { run: 'run-1', split: 'validation', label: 'pos', predicted: 'pos' } });
  });

  it('moves through the matrix with the keys of a grid, and starts at the largest mistake', () => {
    const at = { row: 1, col: 1 };
    expect(moveInGrid(at, 'ArrowRight', 3)).toEqual({ row: 1, col: 2 });
    expect(moveInGrid({ row: 1, col: 2 }, 'ArrowRight', 3)).toEqual({ row: 1, col: 2 });
    expect(moveInGrid(at, 'ArrowUp', 3)).toEqual({ row: 0, col: 1 });
    expect(moveInGrid(at, 'Home', 3)).toEqual({ row: 1, col: 0 });
    expect(moveInGrid(at, 'End', 3, { ctrl: true })).toEqual({ row: 2, col: 2 });
    expect(moveInGrid(at, 'PageDown', 40, { page: 5 })).toEqual({ row: 6, col: 1 });
    expect(moveInGrid(at, 'a', 3)).toBeNull();
    expect(startCell([[5, 1, 0], [7, 2, 3], [0, 0, 9]])).toEqual({ row: 1, col: 0 });
    expect(startCell([[5, 0], [0, 6]])).toEqual({ row: 0, col: 0 });
  });

  it('lists the most confident mistakes first', () => {
    expect(mostConfidentMistakes(ev, 2).map((m) => m.exampleId)).toEqual([12, 13]);
  });
});

describe('filters and paging', () => {
  it('turns the filter into a data.examples query without empty fields', () => {
    expect(toQuery('p', EMPTY_FILTER, 0, 200)).toEqual({ project: 'p', offset: 0, limit: 200 });
    expect(toQuery('p', { search: '  great ', label: 'pos', split: 'test', flag: 'duplicates', ids: [1, 2], prediction: null }, 400, 200)).toEqual({
      project: 'p',
      search: 'great',
      label: 'pos',
      split: 'test',
      flag: 'duplicates',
      ids: [1, 2],
      offset: 400,
      limit: 200,
    });
  });

  it('knows when a filter is set and keys the page cache by it', () => {
    expect(isFiltered(EMPTY_FILTER)).toBe(false);
    expect(isFiltered({ ...EMPTY_FILTER, search: '  ' })).toBe(false);
    expect(isFiltered({ ...EMPTY_FILTER, split: 'train' })).toBe(true);
    expect(filterKey('p', { ...EMPTY_FILTER, search: 'a ' })).toBe(filterKey('p', { ...EMPTY_FILTER, search: 'a' }));
    expect(filterKey('p', EMPTY_FILTER)).not.toBe(filterKey('q', EMPTY_FILTER));
  });

  it('finds the pages a visible range needs', () => {
    expect(pagesFor(0, 40, 200)).toEqual([0]);
    expect(pagesFor(190, 230, 200)).toEqual([0, 1]);
    expect(pagesFor(99_950, 99_999, 200)).toEqual([499]);
    expect(pagesFor(10, 5, 200)).toEqual([]);
  });
});

describe('formatting', () => {
  it('prints durations, percentages and error locations', () => {
    expect(duration(42)).toBe('0:42');
    expect(duration(3725)).toBe('1:02:05');
    expect(duration(null)).toBe('–');
    expect(pct(0.8234)).toBe('82.3%');
    expect(pct(NaN)).toBe('–');
    expect(errorLocation({ file: '/tmp/u/data.csv', line: 12, column: 'label' })).toBe('data.csv, line 12, column "label"');
    expect(errorLocation({})).toBeNull();
    expect(errorLines({ line: 3, lines: [7, 9, 'x'] })).toEqual([3, 7, 9]);
  });
});

describe('tables', () => {
  const rows = [
    { label: 'b', precision: 0.5, recall: 0.5, f1: 0.5, support: 10 },
    { label: 'a', precision: 0.9, recall: 0.7, f1: 0.8, support: 5 },
    { label: 'c', precision: 0.2, recall: 0.9, f1: 0.5, support: 7 },
  ];
  it('sorts per-class metrics by F1, ties by label', () => {
    expect(sortClasses(rows, 'f1', true).map((r) => r.label)).toEqual(['a', 'b', 'c']);
    expect(sortClasses(rows, 'f1', false).map((r) => r.label)).toEqual(['b', 'c', 'a']);
    expect(sortClasses(rows, 'label', false).map((r) => r.label)).toEqual(['a', 'b', 'c']);
  });
  it('orders probability bars, largest first', () => {
    expect(topProbabilities({ a: 0.1, b: 0.7, c: 0.2 }, 2)).toEqual([
      { label: 'b', p: 0.7 },
      { label: 'c', p: 0.2 },
    ]);
  });
});

describe('live run reducer', () => {
  const run = 'run-1';
  it('follows a run from batches to epochs to the end', () => {
    let live = emptyLive(run);
    const events: ApiEvent[] = [
      { type: 'training.batch', run, epoch: 1, batch: 5, batches: 10, loss: 0.7, samplesPerSecond: 900, etaSeconds: 20 },
      { type: 'training.batch', run: 'other', epoch: 1, batch: 1, batches: 10, loss: 9, samplesPerSecond: 1, etaSeconds: 1 },
      { type: 'training.epoch', run, metrics: epoch(1), etaSeconds: 10 },
      { type: 'training.finding', run, finding: { kind: 'overfitting', severity: 'info', epochs: [1, 1], message: 'gap', evidence: {} } },
      { type: 'run.finished', run, status: 'finished', validation: { accuracy: 0.8, macroF1: 0.79 }, test: { accuracy: 0.81, macroF1: 0.8 } },
    ];
    for (const e of events) live = applyEvent(live, e);
    expect(live.batchLoss).toEqual([[0.5, 0.7]]);
    expect(live.epochs.map((e) => e.epoch)).toEqual([1]);
    expect(live.findings.length).toBe(1);
    expect(live.status).toBe('finished');
    expect(live.test?.accuracy).toBe(0.81);
  });

  it('replaces an epoch the doctor rolled back and replayed', () => {
    let live = emptyLive(run);
    live = applyEvent(live, { type: 'training.epoch', run, metrics: epoch(1), etaSeconds: null });
    live = applyEvent(live, { type: 'training.epoch', run, metrics: epoch(2, { trainLoss: NaN }), etaSeconds: null });
    live = applyEvent(live, { type: 'training.epoch', run, metrics: epoch(2, { trainLoss: 0.4 }), etaSeconds: null });
    expect(live.epochs.map((e) => [e.epoch, e.trainLoss])).toEqual([
      [1, 1],
      [2, 0.4],
    ]);
  });

  it('keeps the batch line bounded', () => {
    let live = emptyLive(run);
    for (let i = 0; i < MAX_BATCH_POINTS + 10; i++) {
      live = applyEvent(live, { type: 'training.batch', run, epoch: 1, batch: i, batches: 1e6, loss: 1, samplesPerSecond: 1, etaSeconds: null });
    }
    expect(live.batchLoss.length).toBeLessThanOrEqual(MAX_BATCH_POINTS);
  });

  it('records a failure', () => {
    const live = applyEvent(emptyLive(run), { type: 'run.failed', run, error: 'NaN in the data' });
    expect(live).toMatchObject({ status: 'failed', error: 'NaN in the data' });
  });
});

describe('train settings', () => {
  const model: TrainPreset = { name: 'gru', title: 'GRU', kind: 'model', description: '', defaults: {} };
  const recipe: TrainPreset = { name: 'sentiment-gru', title: 'x', kind: 'recipe', description: '', defaults: {} };
  it('puts a model preset in `model` and a recipe in `recipe`, dropping blank knobs', () => {
    expect(settingsFor('p', model, { epochs: 3, learningRate: undefined, batchSize: NaN })).toEqual({ project: 'p', model: 'gru', epochs: 3 });
    expect(settingsFor('p', recipe, { epochs: 2 })).toEqual({ project: 'p', recipe: 'sentiment-gru', epochs: 2 });
  });
  it('produces settings the schema accepts', () => {
    expect(TrainSettingsSchema.safeParse(settingsFor('p', model, { epochs: 3, dropout: 0.2, earlyStop: 'macro-f1' })).success).toBe(true);
  });
});

describe('paths', () => {
  it('puts a bundle folder inside the chosen folder with its separator', () => {
    expect(childPath('/home/ana/models/', 'reviews-gru')).toBe('/home/ana/models/reviews-gru');
    expect(childPath('C:\\Users\\ana\\Models', 'reviews-gru')).toBe('C:\\Users\\ana\\Models\\reviews-gru');
    expect(baseName('/tmp/ws/bundles/reviews-gru')).toBe('reviews-gru');
    expect(baseName('C:\\x\\y.csv')).toBe('y.csv');
  });
});

describe('run choice and reliability words', () => {
  const run = (id: string, f1: number | null, status: RunSummary['status'] = 'finished'): RunSummary => ({
    id, projectId: 'p', name: id, model: 'linear', status, backend: 'wasm', device: null, epochs: 3, bestEpoch: 2,
    validation: f1 === null ? null : { accuracy: f1, macroF1: f1 }, test: null, error: null,
    createdAt: '2026-01-01T00:00:00Z', startedAt: null, finishedAt: null, starred: false,
  });

  it('offers finished and stopped runs and picks the best by validation macro-F1 (newest among equals)', () => {
    const runs = [run('new', 0.7), run('mid', 0.8), run('old', 0.8), run('running', 0.99, 'running'), run('none', null)];
    expect(usableRuns(runs).map((r) => r.id)).toEqual(['new', 'mid', 'old', 'none']);
    expect(bestRun(usableRuns(runs))!.id).toBe('mid');
    expect(defaultRun(usableRuns(runs), 'old')).toBe('old');
    expect(defaultRun(usableRuns(runs), 'running')).toBe('mid');
    // A finished linear run has no epochs (one exact fit) and is offered; a network stopped before its first epoch is not.
    expect(usableRuns([{ ...run('exact', 0.9), epochs: 0, bestEpoch: 0 }, { ...run('early', null, 'stopped'), model: 'gru', epochs: 0 }]).map((r) => r.id)).toEqual(['exact']);
    expect(bestRun([run('a', null)])!.id).toBe('a');
    expect(bestRun([])).toBeNull();
  });

  it('says whether the probabilities can be taken at their word', () => {
    expect(reliabilitySummary({ examples: 0, ece: 0, overconfidence: 0 })).toMatch(/No predictions/);
    expect(reliabilitySummary({ examples: 100, ece: 0.01, overconfidence: 0.005 })).toMatch(/taken at their word/);
    expect(reliabilitySummary({ examples: 100, ece: 0.12, overconfidence: 0.1 })).toMatch(/over-confident.*10 points/);
    expect(reliabilitySummary({ examples: 100, ece: 0.05, overconfidence: -0.04 })).toMatch(/under-confident/);
  });
});

describe('the doctor in plain words', () => {
  const finding = (kind: Finding['kind'], evidence: Record<string, unknown> = {}): Finding => ({ kind, severity: 'warning', epochs: [1, 3], message: kind, evidence });
  const config = { model: 'gru' as const, learningRate: 1e-6, dropout: 0.2, classWeights: 'none' as const, clipNorm: null, earlyStop: 'none' as const };

  it('says what each action did, without raw JSON', () => {
    expect(describeAction({ kind: 'rollback', epoch: 1, before: { epoch: 1 }, after: { epoch: 0 } })).toBe('Rolled back to the starting weights');
    expect(describeAction({ kind: 'rollback', epoch: 5, before: { epoch: 5 }, after: { epoch: 3 }, reason: 'nan at epoch 5' })).toBe("Rolled back to epoch 3's weights (nan at epoch 5)");
    expect(describeAction({ kind: 'clip', epoch: 2, before: null, after: 1 })).toBe('Turned on gradient clipping at norm 1');
    expect(describeAction({ kind: 'clip', epoch: 2, before: 5, after: 1 })).toBe('Clipped gradients at norm 1 (was 5)');
    expect(describeAction({ kind: 'lr-change', epoch: 2, before: 0.000001, after: 0.0001 })).toBe('Changed the learning rate from 0.000001 to 0.0001');
    expect(describeAction({ kind: 'rebalance', epoch: 2, before: 'none', after: 'balanced' })).toBe('Switched to balanced class weights');
    expect(describeAction({ kind: 'stop', epoch: 4, before: 'training', after: 'stopped', reason: 'overfitting' })).toBe('Stopped training (overfitting)');
  });

  it('offers a button per fix: the run\'s settings with the change, or the tool that finds it', () => {
    const plateau = remediesFor(finding('plateau', { learningRate: 1e-6 }), config);
    expect(plateau[0]).toEqual({ kind: 'retrain', label: 'Retrain with learning rate 0.00001 (×10)', settings: { learningRate: 0.00001 } });
    expect(plateau[1]!.kind).toBe('lr-find');
    expect(remediesFor(finding('nan'), { ...config, learningRate: 0.5 })[0]).toMatchObject({ settings: { learningRate: 0.05, clipNorm: 1 } });
    expect(remediesFor(finding('imbalance'), config)[0]).toMatchObject({ label: 'Retrain with balanced class weights', settings: { classWeights: 'balanced' } });
    expect(remediesFor(finding('collapse'), { ...config, classWeights: 'balanced' })[0]).toMatchObject({ settings: { loss: 'topk' } });
    expect(remediesFor(finding('overfitting'), config).map((r) => r.label)).toEqual(['Retrain with dropout 0.4 and early stopping', 'Train the linear model to compare']);
    expect(remediesFor(finding('data', { duplicatesAcrossSplits: 3 }), config).map((r) => r.kind)).toEqual(['remove-duplicates', 'resplit']);
    expect(remediesFor(finding('data', { emptyTexts: 2, nanLikeTexts: 0 }), config)).toEqual([{ kind: 'review', label: 'Show the rows without text', flag: 'empty' }]);
  });

  it('marks a run that did not learn, with the reason', () => {
    const chance = chanceLevel([{ label: 'Production', count: 120 }, { label: 'Legal', count: 7 }, ...Array.from({ length: 20 }, (_, i) => ({ label: `c${i}`, count: 40 }))])!;
    expect(chance.label).toBe('Production');
    expect(chance.accuracy).toBeCloseTo(120 / 927, 9);
    expect(chance.macroF1).toBeCloseTo((2 * chance.accuracy) / (1 + chance.accuracy) / 22, 9);
    expect(learnedVerdict({ accuracy: 0.036, macroF1: 0.01 }, chance)).toMatchObject({ kind: 'did-not-learn', reason: expect.stringContaining('always answering “Production”') });
    expect(learnedVerdict({ accuracy: 0.6, macroF1: 0.01 }, chance).kind).toBe('did-not-learn');
    expect(learnedVerdict({ accuracy: 0.6, macroF1: 0.55 }, chance).kind).toBe('learned');
    const base = { run: 'r1', name: 'linear', validation: { accuracy: 0.7, macroF1: 0.68 } };
    expect(learnedVerdict({ accuracy: 0.6, macroF1: 0.55 }, chance, base)).toMatchObject({ kind: 'below-baseline', baseline: 'r1' });
    // A binary model that guesses: 53% on 300 balanced examples is within two standard errors (5.8 points) of 50%.
    const coin = chanceLevel([{ label: 'neg', count: 150 }, { label: 'pos', count: 150 }])!;
    expect(chanceMargin(coin)).toBeCloseTo(2 * Math.sqrt(0.25 / 300), 9);
    expect(learnedVerdict({ accuracy: 0.53, macroF1: 0.52 }, coin).kind).toBe('did-not-learn');
    expect(learnedVerdict({ accuracy: 0.6, macroF1: 0.6 }, coin).kind).toBe('learned');
    expect(learnedVerdict(null, chance).kind).toBe('learned');
    expect(chanceLevel([{ label: 'a', count: 3 }])).toBeNull();
  });
});

describe('new label names', () => {
  const groups = ['Education, Training, and Library', 'Legal', 'Production', 'Healthcare Support', 'Healthcare Practitioners and Technical'];

  it('measures edits, with a swap of neighbours as one', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('Legal', 'legal')).toBe(0);
    expect(editDistance('Lgeal', 'Legal')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests the label a typo most likely means, and none for a genuinely new one', () => {
    expect(nearestLabel('Educaton', groups)).toBe('Education, Training, and Library');
    expect(nearestLabel('Legl', groups)).toBe('Legal');
    expect(nearestLabel('legal ', groups)).toBe('Legal');
    expect(nearestLabel('Healthcare', groups)).toBe('Healthcare Support');
    expect(nearestLabel('Astronauts', groups)).toBeNull();
    expect(existingLabel(' PRODUCTION', groups)).toBe('Production');
    expect(existingLabel('Productions', groups)).toBeNull();
  });
});

describe('automatic search in plain words', () => {
  const entry = (run: string | null, f1: number | null, settings: Record<string, string | number | boolean | null>): LeaderboardEntry => ({
    name: 'x', kind: 'trial', run, status: 'finished', settings, validation: f1 === null ? null : { accuracy: f1, macroF1: f1 }, test: null, epochs: 2, seconds: 3, samplesPerSecond: null, backend: 'wasm', findings: [],
  });

  it('names a trial by what it is, not by abbreviations', () => {
    expect(trialTitle({ model: 'gru', embeddingDim: 64, units: 64, layers: 2, dropout: 0.3, learningRate: 0.002, batchSize: 32, loss: 'topk' })).toBe(
      'GRU: 2 layers of 64 units, 64-dim word vectors, dropout 0.3, learning rate 0.002, batches of 32, hardest-examples loss',
    );
    expect(trialTitle({ model: 'linear', embeddingDim: 64, units: 0, layers: 1, dropout: 0, learningRate: 0.026, batchSize: 128, loss: 'ce' })).toBe('Linear (TF-IDF): learning rate 0.026, batches of 128, plain loss');
    expect(trialTitle({ model: 'baseline', defaults: true })).toBe('Baseline with its default settings');
  });

  it('lists each run once (a continued trial replaces its earlier line), best first', () => {
    const rows = leaderboard([entry('a', 0.5, { model: 'gru' }), entry('b', 0.7, { model: 'linear' }), entry('a', 0.6, { model: 'gru' }), entry(null, null, { model: 'lstm' })]);
    expect(rows.map((r) => [r.run, r.validation?.macroF1 ?? null])).toEqual([['b', 0.7], ['a', 0.6], [null, null]]);
  });
});

describe('the Train form and a run\'s settings', () => {
  const config = {
    model: 'linear', recipe: null, epochs: 40, batchSize: 32, learningRate: 0.02, optimizer: 'adam', loss: 'crossentropy', k: 16, classWeights: 'none',
    labelSmoothing: 0, clipNorm: null, earlyStop: 'val-loss', patience: 4, units: 64, layers: 1, embeddingDim: 64, dropout: 0, recurrentDropout: 0,
    l2: null, tokens: 'ngrams', sequenceLength: null, minCount: 2, maxVocab: 30000, lowercase: true, vectors: null, freezeVectors: false, seed: 42,
    backend: null, repair: true, validationFraction: 0.1,
  } as unknown as TrainingConfig;
  const preset = { name: 'linear', title: 'Linear', kind: 'model' as const, description: '', defaults: {}, config };

  it('turns a run\'s resolved settings into knobs training.start accepts again', () => {
    const knobs = knobsFromConfig(config);
    expect(knobs).toMatchObject({ epochs: 40, learningRate: 0.02, optimizer: 'adam', earlyStop: 'val-loss', seed: 42 });
    // What the API cannot take back stays blank: n-gram tokens, an automatic L2, no clipping, no backend.
    for (const k of ['tokens', 'l2', 'clipNorm', 'sequenceLength', 'backend'] as const) expect(k in knobs).toBe(false);
    expect(TrainSettingsSchema.safeParse(settingsFor('p', preset, knobs)).success).toBe(true);
  });

  it('shows the real default of a blank field', () => {
    expect(placeholderOf(preset, 'learningRate')).toBe('0.02');
    expect(placeholderOf(preset, 'clipNorm')).toBe('off');
    expect(placeholderOf(preset, 'l2')).toBe('auto');
    expect(placeholderOf({ ...preset, config: undefined }, 'epochs')).toBe('default');
    expect(presetOf([preset], { model: 'linear', recipe: null })).toBe(preset);
    expect(presetOf([preset], { model: 'gru', recipe: 'jobs-lstm' })).toBeNull();
  });
});

describe('devices', () => {
  const swiftshader: DeviceInfo = {
    kind: 'gpu',
    label: 'GPU (software): Google SwiftShader',
    adapter: { preference: 'high-performance', vendor: 'google', architecture: 'swiftshader', device: '', description: 'SwiftShader', fallback: true, maxBufferSize: 1, maxStorageBufferBindingSize: 1, software: true, softwareReason: 'SwiftShader rasterises on the CPU' },
  };

  it('badges a hardware GPU, a software GPU (with its reason), the CPU, and a run from before devices were kept', () => {
    expect(deviceBadge({ kind: 'gpu', label: 'GPU: NVIDIA H200', adapter: { ...swiftshader.adapter!, software: false, softwareReason: undefined } }, 'webgpu')).toMatchObject({ text: 'GPU: NVIDIA H200', tone: 'gpu' });
    const soft = deviceBadge(swiftshader, 'webgpu')!;
    expect(soft.tone).toBe('software');
    expect(soft.title).toMatch(/SwiftShader rasterises on the CPU/);
    expect(deviceBadge({ kind: 'cpu', label: 'CPU: wasm, 1 thread', note: 'raced: GPU 10175 ms, wasm 75 ms' }, 'wasm')).toMatchObject({ tone: 'cpu', title: expect.stringMatching(/raced/) });
    expect(deviceBadge(null, 'wasm')).toMatchObject({ text: 'wasm', tone: 'cpu' });
    expect(deviceBadge(null, null)).toBeNull();
  });

  it("reads the batch size and the CPU resume out of the training job's out-of-memory message", () => {
    const oom = new TextbenchError('GPU: NVIDIA H200 ran out of memory (WebGPU: Out of memory).', 'gpu_out_of_memory');
    const run = (hasCheckpoint: boolean) => ({ config: { batchSize: 256 }, hasCheckpoint, epochs: 2 }) as unknown as RunDetail;
    expect(gpuOutOfMemory(withResumeCommand(oom, 'r1', run(true)).message)).toEqual({ batch: 256, half: 128, resumable: true });
    expect(gpuOutOfMemory(withResumeCommand(oom, 'r1', run(false)).message)).toEqual({ batch: 256, half: 128, resumable: false });
    expect(gpuOutOfMemory('Training diverged: loss became NaN at epoch 3.')).toBeNull();
    expect(gpuOutOfMemory(null)).toBeNull();
  });
});
