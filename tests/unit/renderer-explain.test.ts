// The renderer's pieces for the linear model's explanations, the ensemble preset and the live pretraining and
// fitting progress: pure helpers, checked on their own.
import { describe, expect, it } from 'vitest';
import type { TrainPreset } from '../../shared/api.ts';
import { largest, ngramText, pieces, shade } from '../../renderer/src/lib/explain.ts';
import { applyEvent, emptyLive } from '../../renderer/src/lib/live.ts';
import { ENSEMBLE_PRESET, FALLBACK_PRESETS, withEnsemble } from '../../renderer/src/lib/presets.ts';

describe('explanations', () => {
  it('shows a character n-gram with its word edges, a word n-gram as it is', () => {
    expect(ngramText({ kind: 'char', text: ' goo' })).toBe('·goo');
    expect(ngramText({ kind: 'char', text: 'od ' })).toBe('od·');
    expect(ngramText({ kind: 'word', text: 'not good' })).toBe('not good');
  });

  it('cuts the text into pieces that give back the whole text, spans weighted and the rest not', () => {
    const text = 'Great phone, but broke.';
    const spans = [
      { start: 17, end: 22, weight: -0.3 },
      { start: 0, end: 5, weight: 0.8 },
      { start: 6, end: 11, weight: 0.1 },
    ];
    const p = pieces(text, spans);
    expect(p.map((x) => x.text).join('')).toBe(text);
    expect(p).toEqual([
      { text: 'Great', weight: 0.8 },
      { text: ' ', weight: null },
      { text: 'phone', weight: 0.1 },
      { text: ', but ', weight: null },
      { text: 'broke', weight: -0.3 },
      { text: '.', weight: null },
    ]);
  });

  it('skips spans that overlap an earlier one or fall outside the text, never repeating or losing text', () => {
    const text = 'abc def';
    const p = pieces(text, [
      { start: 0, end: 3, weight: 1 },
      { start: 2, end: 5, weight: 1 },
      { start: 4, end: 99, weight: 1 },
      { start: 5, end: 5, weight: 1 },
    ]);
    expect(p.map((x) => x.text).join('')).toBe(text);
    expect(p.filter((x) => x.weight !== null).map((x) => x.text)).toEqual(['abc']);
    expect(pieces('', [])).toEqual([]);
  });

  it('shades by the share of the strongest, leaving shares under 5% plain', () => {
    expect(shade(0.8, 0.8)).toBe(1);
    expect(shade(-0.4, 0.8)).toBe(0.5);
    expect(shade(0.03, 0.8)).toBe(0);
    expect(shade(null, 0.8)).toBe(0);
    expect(largest([{ weight: 0.2 }, { weight: -0.9 }], [{ weight: 0.5 }])).toBe(0.9);
    expect(largest([])).toBeGreaterThan(0);
  });
});

describe('the ensemble preset', () => {
  it('comes after the model presets and before the recipes, once', () => {
    const recipe: TrainPreset = { name: 'story-1', title: 'Story 1', kind: 'recipe', description: '', defaults: {} };
    const list = withEnsemble([...FALLBACK_PRESETS, recipe]);
    expect(list.map((p) => p.name)).toEqual([...FALLBACK_PRESETS.map((p) => p.name), 'ensemble', 'story-1']);
    expect(withEnsemble(list).filter((p) => p.name === 'ensemble')).toHaveLength(1);
    const own = { ...ENSEMBLE_PRESET, description: 'from the engine' };
    expect(withEnsemble([own]).find((p) => p.name === 'ensemble')!.description).toBe('from the engine');
  });
});

describe('live pretraining and fitting progress', () => {
  it('keeps the last pretraining event and the last progress of a run without epochs', () => {
    const run = 'r1';
    let live = emptyLive(run, 'queued');
    live = applyEvent(live, { type: 'training.pretrain', run, epoch: 1, epochs: 5, fraction: 0.1, tokensPerSecond: 5000, loss: 4.1 });
    live = applyEvent(live, { type: 'training.pretrain', run, epoch: 2, epochs: 5, fraction: 0.35, tokensPerSecond: 5200, loss: 3.2 });
    expect(live.status).toBe('running');
    expect(live.pretrain).toEqual({ epoch: 2, epochs: 5, fraction: 0.35, tokensPerSecond: 5200, loss: 3.2 });
    // Another run's events change nothing.
    expect(applyEvent(live, { type: 'training.pretrain', run: 'r2', epoch: 5, epochs: 5, fraction: 1, tokensPerSecond: 1, loss: 1 })).toBe(live);
    live = applyEvent(live, { type: 'training.progress', run, phase: 'search', done: 3, total: 56, message: 'cross-validation fit 3 of 56', etaSeconds: 12 });
    expect(live.progress).toEqual({ phase: 'search', done: 3, total: 56, message: 'cross-validation fit 3 of 56' });
    expect(live.etaSeconds).toBe(12);
  });
});
