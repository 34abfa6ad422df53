import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import type { Workbench } from '../../main/engine/workbench.ts';
import type { WorkbenchEvent } from '../../shared/events.ts';
import { buildXlsx, sentimentRows, tempDir, tempWorkbench, toCsv, writeFile, type FixtureEncoding } from '../fixtures/data.ts';

let wb: Workbench;
let cleanup: () => Promise<void>;
let dir: string;

beforeEach(() => {
  ({ wb, cleanup } = tempWorkbench());
  dir = tempDir('tb-fixtures-');
});
afterEach(async () => {
  await cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The texts as stored, in file order. */
function texts(project: string): string[] {
  return wb.data.examples(project, { limit: 10_000 }).rows.map((r) => r.text);
}

const accented = [
  ['Café au lait was ça va, naïve but nice', 'positive'],
  ['Crème brûlée arrived cold – “awful”', 'negative'],
  ['Señor Müller’s order was fine', 'positive'],
  ['Déjà vu: broken again', 'negative'],
];

describe('encodings', () => {
  const cases: { enc: FixtureEncoding; expected: string }[] = [
    { enc: 'utf-8', expected: 'utf-8' },
    { enc: 'utf-8-bom', expected: 'utf-8' },
    { enc: 'utf-16le-bom', expected: 'utf-16le' },
    { enc: 'utf-16be-bom', expected: 'utf-16be' },
    { enc: 'utf-16le', expected: 'utf-16le' },
    { enc: 'windows-1252', expected: 'windows-1252' },
  ];
  for (const { enc, expected } of cases) {
    it(`reads ${enc} and keeps every accented character`, async () => {
      const rows = [...accented, ...sentimentRows(16)];
      const file = writeFile(dir, `acc-${enc}.csv`, toCsv(['text', 'label'], rows), enc);
      const preview = await wb.data.previewImport(file);
      expect(preview.encoding).toBe(expected);
      expect(preview.columns).toEqual(['text', 'label']);
      const r = await wb.data.importFile(file, { project: enc });
      expect(r.encoding).toBe(expected);
      expect(r.rows).toBe(rows.length);
      expect(texts(enc).slice(0, 4)).toEqual(accented.map((a) => a[0]));
    });
  }

  it('falls back to Windows-1252 when invalid UTF-8 appears only far into the file', async () => {
    // 1.5 MB of ASCII first, so that the sniffed head is valid UTF-8 and the import must restart.
    const filler = sentimentRows(30_000).map(([t, l]) => [t, l]);
    const csv = toCsv(['text', 'label'], [...filler, ['Last one: café crème', 'positive']]);
    const file = writeFile(dir, 'late-1252.csv', csv, 'windows-1252');
    expect(fs.statSync(file).size).toBeGreaterThan(1.2 * 1024 * 1024);
    const events: WorkbenchEvent[] = [];
    const off = wb.onEvent((e) => events.push(e));
    const r = await wb.data.importFile(file, { project: 'late' });
    off();
    // Two passes over the file, one progress line: it never goes back when the second pass starts.
    const done = events.filter((e) => e.type === 'import.progress').map((e) => (e as { done: number }).done);
    expect([...done].sort((a, b) => a - b)).toEqual(done);
    expect(done.at(-1)).toBe(fs.statSync(file).size);
    expect(r.encoding).toBe('windows-1252');
    expect(r.rows).toBe(filler.length + 1);
    expect(r.warnings.join(' ')).toMatch(/is not UTF-8: 1 line\(s\) hold bytes that are not UTF-8 and only 0 UTF-8 character\(s\) were found in the whole file; it was read as Windows-1252/);
    const last = wb.data.examples('late', { search: 'Last one' }).rows[0]!;
    expect(last.text).toBe('Last one: café crème');
  });

  it('keeps a UTF-8 file with a few corrupt bytes as UTF-8 (bad bytes become U+FFFD, accents intact)', async () => {
    const filler = sentimentRows(30_000).map(([t, l]) => [`${t} – café`, l]);
    const good = Buffer.from(toCsv(['text', 'label'], filler), 'utf8');
    const bad = Buffer.concat([Buffer.from('Broken byte here: '), Buffer.from([0xff]), Buffer.from(' end,positive\n')]);
    const file = writeFile(dir, 'corrupt-utf8.csv', Buffer.concat([good, bad]));
    const r = await wb.data.importFile(file, { project: 'corrupt' });
    expect(r.encoding).toBe('utf-8');
    expect(r.rows).toBe(filler.length + 1);
    // The bad byte is on the file's last line: the header, then 30,000 rows.
    expect(r.warnings.join(' ')).toMatch(/is UTF-8 but 1 byte sequence\(s\) in it are not \(line 30002\); each was replaced by \uFFFD/);
    expect(wb.data.examples('corrupt', { search: 'Broken byte' }).rows[0]!.text).toBe('Broken byte here: \uFFFD end');
    expect(wb.data.examples('corrupt', { limit: 1 }).rows[0]!.text).toBe(filler[0]![0]);
  });

  it('normalises text to NFC so that decomposed and composed accents are the same text', async () => {
    const composed = 'Caf\u00e9 was lovely today';
    const decomposed = 'Cafe\u0301 was lovely today';
    const file = writeFile(dir, 'nfc.csv', toCsv(['text', 'label'], [[composed, 'a'], [decomposed, 'a'], ['other text here', 'b'], ['more text here', 'b']]));
    await wb.data.importFile(file, { project: 'nfc' });
    const rows = wb.data.examples('nfc', {}).rows;
    expect(rows[1]!.text).toBe(composed);
    expect(rows[0]!.contentHash).toBe(rows[1]!.contentHash);
    expect(wb.data.review('nfc').duplicates).toBe(1);
  });
});

describe('delimited files', () => {
  for (const [name, d] of [
    ['comma', ','],
    ['tab', '\t'],
    ['semicolon', ';'],
    ['pipe', '|'],
  ] as const) {
    it(`sniffs the ${name} delimiter`, async () => {
      const rows = sentimentRows(20).map(([t, l]) => [t.replace(/,/g, ''), l, 'x']);
      const file = writeFile(dir, `d-${name}.txt`, toCsv(['review', 'sentiment', 'other'], rows, d));
      const p = await wb.data.previewImport(file);
      expect(p.delimiter).toBe(d);
      expect(p.format).toBe(d === '\t' ? 'tsv' : 'csv');
      expect(p.guess).toEqual({ textColumns: ['review'], labelColumn: 'sentiment', splitColumn: null });
      const r = await wb.data.importFile(file, { project: name });
      expect(r.rows).toBe(20);
      expect(r.labels).toEqual(['negative', 'positive']);
    });
  }

  it('keeps quoted fields with embedded newlines, delimiters and doubled quotes, and reports lines correctly', async () => {
    const rows = [
      ['first line\nsecond line, with a comma', 'a'],
      ['she said ""hi"" twice'.replace(/""/g, '"'), 'b'],
      ['plain text row', 'a'],
      ['another\r\nwindows line', 'b'],
    ];
    const file = writeFile(dir, 'multiline.csv', toCsv(['text', 'label'], rows, ',', '\r\n'));
    await wb.data.importFile(file, { project: 'ml' });
    const got = wb.data.examples('ml', {}).rows;
    expect(got.map((r) => r.text)).toEqual(['first line\nsecond line, with a comma', 'she said "hi" twice', 'plain text row', 'another\r\nwindows line']);
    // Row numbers are the line each record starts on (header is line 1; the first record spans lines 2-3).
    expect(got.map((r) => r.rowNumber)).toEqual([2, 4, 5, 6]);
  });

  it('reads a header-less TSV with stray quotes as plain text (column1, column2)', async () => {
    const lines = ['" The film starts with a lone quote  \t1', 'A "quoted" word inside\t0', 'Ends with a quote"\t1', 'Nothing special here\t0', 'Another plain one\t1', 'Last plain one\t0'];
    const file = writeFile(dir, 'raw.txt', lines.join('\n') + '\n');
    const p = await wb.data.previewImport(file);
    expect(p.header).toBe(false);
    expect(p.quoting).toBe(false);
    expect(p.columns).toEqual(['column1', 'column2']);
    expect(p.guess.labelColumn).toBe('column2');
    const r = await wb.data.importFile(file, { project: 'raw' });
    expect(r.rows).toBe(6);
    expect(texts('raw')[0]).toBe('" The film starts with a lone quote');
  });

  it('joins several text columns and honours explicit column choices', async () => {
    const rows = sentimentRows(10).map(([t, l], i) => [`Title ${i}`, t, l]);
    const file = writeFile(dir, 'two.csv', toCsv(['title', 'body', 'label'], rows));
    const r = await wb.data.importFile(file, { project: 'two', text: ['title', 'body'], label: 'label' });
    expect(r.guess.textColumns).toEqual(['title', 'body']);
    expect(texts('two')[0]).toBe(`Title 0\n${rows[0]![1]}`);
  });

  it('skips and counts rows with an empty text or label', async () => {
    const rows = [...sentimentRows(10), ['', 'positive'], ['has no label', ''], ['   ', 'negative']];
    // A trailing line of spaces is an empty line, not a row with the wrong number of fields.
    const file = writeFile(dir, 'gaps.csv', toCsv(['text', 'label'], rows) + '   \n');
    const r = await wb.data.importFile(file, { project: 'gaps' });
    expect(r.rows).toBe(10);
    expect(r.skipped).toBe(3);
    expect(r.skippedDetail).toEqual({ emptyText: 2, emptyLabel: 1 });
    expect(r.warnings.join(' ')).toMatch(/line 12/);
    expect(wb.data.datasets('gaps')[0]!.skipped).toEqual({ emptyText: 2, emptyLabel: 1 });
  });
});

describe('JSON and JSON Lines', () => {
  const objects = sentimentRows(12).map(([text, label], i) => ({ id: i, text, label, meta: { n: i } }));

  it('streams a JSON array of objects (pretty-printed, values of any type)', async () => {
    const file = writeFile(dir, 'data.json', JSON.stringify(objects, null, 2));
    const p = await wb.data.previewImport(file);
    expect(p.format).toBe('json');
    expect(p.columns).toEqual(['id', 'text', 'label', 'meta']);
    expect(p.guess.textColumns).toEqual(['text']);
    expect(p.guess.labelColumn).toBe('label');
    const r = await wb.data.importFile(file, { project: 'json' });
    expect(r.rows).toBe(12);
    expect(texts('json')).toEqual(objects.map((o) => o.text));
    // Element numbers are the line each object starts on.
    expect(wb.data.examples('json', { limit: 2 }).rows.map((e) => e.rowNumber)).toEqual([2, 10]);
  });

  it('streams a large JSON array split across many read chunks, with tricky strings', async () => {
    const many = Array.from({ length: 6000 }, (_, i) => ({ text: `row ${i} with "quotes", braces {} [brackets] and a \\ backslash ${'x'.repeat(200)}`, label: i % 3 === 0 ? 'a' : 'b' }));
    const file = writeFile(dir, 'big.json', JSON.stringify(many));
    expect(fs.statSync(file).size).toBeGreaterThan(1.3 * 1024 * 1024);
    const r = await wb.data.importFile(file, { project: 'bigjson' });
    expect(r.rows).toBe(6000);
    const got = wb.data.examples('bigjson', { offset: 5999, limit: 1 }).rows[0]!;
    expect(got.text).toBe(many[5999]!.text);
  });

  it('reads JSON Lines, skipping blank lines', async () => {
    const file = writeFile(dir, 'data.jsonl', objects.map((o) => JSON.stringify(o)).join('\n\n') + '\n');
    const p = await wb.data.previewImport(file);
    expect(p.format).toBe('jsonl');
    const r = await wb.data.importFile(file, { project: 'jsonl' });
    expect(r.rows).toBe(12);
    expect(wb.data.examples('jsonl', { limit: 2 }).rows.map((e) => e.rowNumber)).toEqual([1, 3]);
  });
});

describe('XLSX', () => {
  const rows = sentimentRows(12);

  it('reads the first sheet through shared strings (rich text runs too) and numeric labels', async () => {
    const file = writeFile(
      dir,
      'book.xlsx',
      buildXlsx([
        { name: 'Reviews', rows: [['text', 'label', 'stars'], ...rows.map(([t, l], i) => [t, l, i % 5])] },
        { name: 'Other', rows: [['a', 'b'], ['x', 'y']] },
      ]),
    );
    const p = await wb.data.previewImport(file);
    expect(p.format).toBe('xlsx');
    expect(p.sheets).toEqual(['Reviews', 'Other']);
    expect(p.sheet).toBe('Reviews');
    expect(p.columns).toEqual(['text', 'label', 'stars']);
    const r = await wb.data.importFile(file, { project: 'xlsx', text: ['text'], label: 'label' });
    expect(r.rows).toBe(12);
    expect(texts('xlsx')).toEqual(rows.map((x) => x[0]));
    const r2 = await wb.data.importFile(file, { project: 'xlsx-stars', text: ['text'], label: 'stars' });
    expect(r2.labels).toEqual(['0', '1', '2', '3', '4']);
  });

  it('reads a named sheet with inline strings and gaps in rows', async () => {
    const sheetRows: (string | null)[][] = [['id', 'body', 'cls'], ...rows.map(([t, l], i) => [i % 2 ? `r${i}` : null, t, l])];
    const file = writeFile(dir, 'inline.xlsx', buildXlsx([{ name: 'First', rows: [['nothing', 'here']] }, { name: 'Data Sheet', rows: sheetRows }], { inline: true }));
    const r = await wb.data.importFile(file, { project: 'inline', sheet: 'Data Sheet' });
    expect(r.guess.textColumns).toEqual(['body']);
    expect(r.guess.labelColumn).toBe('cls');
    expect(r.rows).toBe(12);
    expect(wb.data.examples('inline', { limit: 1 }).rows[0]!.rowNumber).toBe(2);
  });
});

describe('splits', () => {
  it('makes a deterministic stratified 80/10/10 split with the recorded seed', async () => {
    const rows = sentimentRows(100);
    const file = writeFile(dir, 'auto.csv', toCsv(['text', 'label'], rows));
    const a = await wb.data.importFile(file, { project: 'a', seed: 7 });
    const b = await wb.data.importFile(file, { project: 'b', seed: 7 });
    expect(a.splits).toEqual({ train: 80, validation: 10, test: 10 });
    expect(a.splitSource).toBe('auto');
    expect(wb.data.datasets('a')[0]!.splitSeed).toBe(7);
    const splitsOf = (p: string) => wb.data.examples(p, { limit: 1000 }).rows.map((e) => e.split);
    expect(b.splits).toEqual(a.splits);
    expect(splitsOf('a')).toEqual(splitsOf('b'));
    // Another seed gives another (still stratified) assignment.
    await wb.data.importFile(file, { project: 'c', seed: 8 });
    expect(splitsOf('c')).not.toEqual(splitsOf('a'));
    for (const c of wb.data.labels('a')) expect(c.splits).toEqual({ train: 40, validation: 5, test: 5 });
  });

  it('honours a split column with synonyms in any case, and carves validation out of train when only train/test exist', async () => {
    const rows = sentimentRows(40).map(([t, l], i) => [t, l, i < 4 ? 'DEV' : i < 8 ? 'Test' : 'train']);
    const file = writeFile(dir, 'split.csv', toCsv(['text', 'label', 'split'], rows));
    const r = await wb.data.importFile(file, { project: 'col' });
    expect(r.guess.splitColumn).toBe('split');
    expect(r.splits).toEqual({ train: 32, validation: 4, test: 4 });
    expect(r.splitSource).toBe('column');

    const tt = sentimentRows(40).map(([t, l], i) => [t, l, i < 10 ? 'test' : 'train']);
    const r2 = await wb.data.importFile(writeFile(dir, 'tt.csv', toCsv(['text', 'label', 'split'], tt)), { project: 'tt' });
    expect(r2.splitSource).toBe('column+carved');
    expect(r2.splits).toEqual({ train: 26, validation: 4, test: 10 });

    const r3 = await wb.data.importFile(writeFile(dir, 'tt2.csv', toCsv(['text', 'label', 'split'], tt)), { project: 'none', split: 'none' });
    expect(r3.splitSource).toBe('auto');
    expect(r3.splits).toEqual({ train: 32, validation: 4, test: 4 });
  });
});

describe('projects and progress', () => {
  it('adds a second file to an existing project and names datasets apart', async () => {
    const file = writeFile(dir, 'same.csv', toCsv(['text', 'label'], sentimentRows(10)));
    await wb.data.importFile(file, { project: 'p' });
    const second = await wb.data.importFile(file, { project: 'p' });
    expect(second.warnings.join(' ')).toMatch(/already imported into project "p"/);
    expect(wb.data.datasets('p').map((d) => d.name)).toEqual(['same.csv', 'same.csv (2)']);
    expect(wb.projects.get('p').examples).toBe(20);
    wb.data.relabel('p', [wb.data.examples('p', { offset: 15, limit: 1 }).rows[0]!.id], 'neutral');
    expect(wb.data.deleteDataset('p', 'same.csv (2)')).toEqual({ dataset: 'same.csv (2)', examples: 10 });
    expect(wb.projects.get('p').examples).toBe(10);
    expect(wb.data.history('p')).toHaveLength(0);
    expect(() => wb.data.deleteDataset('p', 'nope')).toThrow(/no dataset "nope".*"same.csv"/);
    const defaultName = await wb.data.importFile(file);
    expect(defaultName.project).toBe('same');
  });

  it('emits throttled import.progress events that never go backwards and end at the total', async () => {
    const file = writeFile(dir, 'progress.csv', toCsv(['text', 'label'], sentimentRows(25_000)));
    const events: WorkbenchEvent[] = [];
    const off = wb.onEvent((e) => events.push(e));
    await wb.data.importFile(file, { project: 'prog' });
    off();
    const prog = events.filter((e) => e.type === 'import.progress');
    expect(prog.length).toBeGreaterThanOrEqual(1);
    const size = fs.statSync(file).size;
    for (const e of prog) expect(e).toMatchObject({ task: 'import', unit: 'bytes', total: size });
    const done = prog.map((e) => (e as { done: number }).done);
    expect([...done].sort((a, b) => a - b)).toEqual(done);
    expect(new Set(done).size).toBe(done.length);
    expect(done[done.length - 1]).toBe(size);
  });

  it('an aborted import stops and writes nothing', async () => {
    const file = writeFile(dir, 'abort.csv', toCsv(['text', 'label'], sentimentRows(5000)));
    const ctl = new AbortController();
    ctl.abort();
    await expect(wb.data.importFile(file, { project: 'aborted' }, { signal: ctl.signal })).rejects.toMatchObject({ code: 'IMPORT_CANCELLED' });
    expect(wb.projects.list().map((p) => p.name)).not.toContain('aborted');
  });

  it('leaves no staging files behind in the workspace', async () => {
    const file = writeFile(dir, 'x.csv', toCsv(['text', 'label'], sentimentRows(10)));
    await wb.data.importFile(file, { project: 'x' });
    expect(fs.readdirSync(wb.dir).filter((f) => f.startsWith('.import-'))).toEqual([]);
    expect(path.basename(wb.dir)).toMatch(/^tb-ws-/);
  });
});
