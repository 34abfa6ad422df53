// The review checks, the examples list and label edits on the real datasets in ../shared/datasets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Workbench } from '../../main/engine/workbench.ts';
import { ONET, UCI_RAW, tempWorkbench } from '../fixtures/data.ts';

let wb: Workbench;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ wb, cleanup } = tempWorkbench());
  await wb.data.importFile(ONET, { project: 'onet', text: ['task'], label: 'major_group' });
  for (const f of UCI_RAW) {
    await wb.data.importFile(f, { project: path.basename(f, '.txt') });
    await wb.data.importFile(f, { project: 'uci-all' });
  }
});
afterAll(() => cleanup());

describe('review of onet_tasks.csv', () => {
  it('counts the classes, the 1,100 duplicate rows and the 67 examples whose text is under two groups', () => {
    const r = wb.data.review('onet');
    expect(r.total).toBe(19_450);
    expect(r.classes).toHaveLength(22);
    expect(r.classes[0]).toMatchObject({ label: 'Production', count: 2344 });
    expect(r.classes.at(-1)).toMatchObject({ label: 'Legal', count: 134 });
    expect(r.imbalanceRatio).toBeCloseTo(2344 / 134, 5);
    for (const c of r.classes) expect(c.splits.train + c.splits.validation + c.splits.test).toBe(c.count);
    // 19,450 rows, 18,350 distinct texts.
    expect(r.duplicates).toBe(1100);
    expect(r.conflicts).toBe(67);
    expect(r.conflictTexts).toBe(22);
    const conflicts = r.checks.find((c) => c.id === 'conflicts')!;
    expect(conflicts.count).toBe(67);
    expect(conflicts.groups).toHaveLength(22);
    for (const g of conflicts.groups!) expect(g.labels.length).toBe(2);
    expect(conflicts.message).toMatch(/67 examples .*22 distinct texts/);
  });

  it('every check has a count, an explanation, and ids that examples --flag lists', () => {
    const r = wb.data.review('onet');
    expect(r.checks.map((c) => c.id)).toEqual(['duplicates', 'conflicts', 'leaks', 'empty', 'short', 'long', 'rare']);
    for (const c of r.checks) {
      expect(c.message.length).toBeGreaterThan(20);
      expect(c.ids.length).toBeLessThanOrEqual(1000);
    }
    const conflicts = r.checks.find((c) => c.id === 'conflicts')!;
    const page = wb.data.examples('onet', { flag: 'conflicts', limit: 1000 });
    expect(page.total).toBe(67);
    expect(page.rows.map((e) => e.id).sort((a, b) => a - b)).toEqual([...conflicts.ids].sort((a, b) => a - b));
    // Every listed row shares its text with a row of another label.
    const labelsByHash = new Map<string, Set<string>>();
    for (const e of page.rows) labelsByHash.set(e.contentHash, (labelsByHash.get(e.contentHash) ?? new Set()).add(e.label));
    for (const s of labelsByHash.values()) expect(s.size).toBeGreaterThan(1);
    expect(r.duplicateTexts).toBe(271);
    expect(wb.data.examples('onet', { flag: 'duplicate' }).total).toBe(1100 + 271);
    const short = r.checks.find((c) => c.id === 'short')!;
    expect(short.threshold).toBe('fewer than 3 words');
    expect(wb.data.examples('onet', { flag: 'short', limit: 1000 }).rows.map((e) => e.id)).toEqual(short.ids);
    expect(r.checks.find((c) => c.id === 'rare')!.count).toBe(0);
  });

  it('resolving a conflict by relabelling shrinks the count, and undo restores it', () => {
    const conflicts = wb.data.review('onet').checks.find((c) => c.id === 'conflicts')!;
    const g = conflicts.groups![0]!;
    const target = g.labels[0]!;
    const res = wb.data.relabel('onet', g.ids, target, 'reviewer');
    expect(res.changed).toBeGreaterThan(0);
    expect(res.changed + res.unchanged).toBe(g.ids.length);
    const after = wb.data.review('onet');
    expect(after.conflictTexts).toBe(21);
    expect(after.conflicts).toBe(67 - g.ids.length);
    expect(wb.data.examples('onet', { flag: 'edited' }).total).toBe(res.changed);
    const hist = wb.data.history('onet');
    expect(hist).toHaveLength(res.changed);
    expect(hist[0]).toMatchObject({ batchId: res.batchId, newLabel: target, author: 'reviewer', undoneAt: null });
    const undo = wb.data.undo('onet');
    expect(undo).toMatchObject({ batchId: res.batchId, reverted: res.changed, skipped: 0, kind: 'relabel' });
    expect(wb.data.review('onet').conflicts).toBe(67);
    expect(wb.data.history('onet').every((e) => e.undoneAt !== null)).toBe(true);
    expect(wb.data.undo('onet')).toEqual({ batchId: null, reverted: 0, skipped: 0 });
  });
});

describe('the raw UCI sentence files (header-less TSV, stray quotes)', () => {
  const expected: Record<string, number> = { amazon_cells_labelled: 10, imdb_labelled: 3, yelp_labelled: 4 };

  it('imports exactly 1,000 rows per file, 500 per class, with the duplicates of the README and no conflicts', () => {
    for (const [project, dups] of Object.entries(expected)) {
      const r = wb.data.review(project);
      expect(r.total, project).toBe(1000);
      expect(r.classes.map((c) => [c.label, c.count])).toEqual([
        ['0', 500],
        ['1', 500],
      ]);
      expect(r.duplicates, project).toBe(dups);
      expect(r.conflicts, project).toBe(0);
      const ds = wb.data.datasets(project)[0]!;
      expect(ds).toMatchObject({ format: 'tsv', textColumns: ['column1'], labelColumn: 'column2', rows: 1000 });
    }
    const all = wb.data.review('uci-all');
    expect(all.total).toBe(3000);
    expect(all.conflicts).toBe(0);
  });

  it('keeps the quotes of imdb as text and trims its trailing spaces', () => {
    const line20 = wb.data.examples('imdb_labelled', { search: 'The structure of this film' }).rows;
    expect(line20).toHaveLength(1);
    expect(line20[0]!.text.startsWith('" The structure of this film')).toBe(true);
    expect(line20[0]!.rowNumber).toBe(20);
    expect(line20[0]!.text.endsWith(' ')).toBe(false);
    // Lines 179 and 968 hold U+0085, which must not split them.
    const nel = wb.data.examples('imdb_labelled', { search: '\u0085' }).rows;
    expect(nel.map((e) => e.rowNumber)).toEqual([179, 968]);
  });
});

describe('examples list', () => {
  it('filters by search, label, split and ids, and pages with offset/limit', () => {
    const all = wb.data.examples('onet', { limit: 10 });
    expect(all.total).toBe(19_450);
    expect(all.rows).toHaveLength(10);
    const page2 = wb.data.examples('onet', { offset: 10, limit: 10 });
    expect(page2.rows[0]!.id).toBeGreaterThan(all.rows[9]!.id);
    const legal = wb.data.examples('onet', { label: 'Legal', split: 'test', limit: 1000 });
    expect(legal.total).toBe(wb.data.labels('onet').find((l) => l.label === 'Legal')!.splits.test);
    expect(legal.rows.every((e) => e.label === 'Legal' && e.split === 'test')).toBe(true);
    const search = wb.data.examples('onet', { search: 'SURGICAL', limit: 1000 });
    expect(search.total).toBeGreaterThan(0);
    expect(search.rows.every((e) => /surgical/i.test(e.text))).toBe(true);
    const literal = wb.data.examples('onet', { search: '100%_' });
    expect(literal.total).toBe(0);
    const ids = wb.data.examples('onet', { ids: [all.rows[3]!.id, all.rows[5]!.id] });
    expect(ids.rows.map((e) => e.id)).toEqual([all.rows[3]!.id, all.rows[5]!.id]);
    expect(() => wb.data.examples('onet', { flag: 'nonsense' })).toThrow(/Unknown flag "nonsense"/);
  });

  it('labels() gives counts per split', () => {
    const labels = wb.data.labels('amazon_cells_labelled');
    expect(labels).toEqual([
      { label: '0', count: 500, splits: { train: 400, validation: 50, test: 50 } },
      { label: '1', count: 500, splits: { train: 400, validation: 50, test: 50 } },
    ]);
  });

  it('merges a class into another as one undoable batch', () => {
    const before = wb.data.labels('amazon_cells_labelled');
    const r = wb.data.relabelAll('amazon_cells_labelled', '0', 'negative', 'merger');
    expect(r.changed).toBe(500);
    expect(wb.data.labels('amazon_cells_labelled').map((l) => [l.label, l.count])).toEqual([
      ['1', 500],
      ['negative', 500],
    ]);
    expect(() => wb.data.relabelAll('amazon_cells_labelled', 'nope', 'x')).toThrow(/No example .* has the label "nope"/);
    expect(wb.data.undo('amazon_cells_labelled').reverted).toBe(500);
    expect(wb.data.labels('amazon_cells_labelled')).toEqual(before);
  });

  it('relabel refuses unknown ids without changing anything, and undo leaves later edits alone', () => {
    const ids = wb.data.examples('yelp_labelled', { limit: 3 }).rows.map((e) => e.id);
    expect(() => wb.data.relabel('yelp_labelled', [...ids, 99_999_999], '1')).toThrow(/No example with id 99999999/);
    expect(wb.data.history('yelp_labelled')).toHaveLength(0);
    const first = wb.data.relabel('yelp_labelled', ids, 'mixed');
    expect(first).toMatchObject({ changed: 3, newLabel: true });
    const second = wb.data.relabel('yelp_labelled', [ids[0]!], '1');
    expect(second.changed).toBe(1);
    const undoFirst = wb.data.undo('yelp_labelled', first.batchId);
    expect(undoFirst).toMatchObject({ batchId: first.batchId, reverted: 2, skipped: 1 });
    expect(wb.data.examples('yelp_labelled', { ids: [ids[0]!] }).rows[0]!.label).toBe('1');
    expect(() => wb.data.undo('yelp_labelled', first.batchId)).toThrow(/already undone/);
  });
});
