import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import type { Workbench } from '../../main/engine/workbench.ts';
import { TextbenchError } from '../../main/engine/errors.ts';
import type { ImportOptions } from '../../shared/data.ts';
import { buildXlsx, rowCounts, sentimentRows, tempDir, tempWorkbench, toCsv, writeFile } from '../fixtures/data.ts';

let wb: Workbench;
let cleanup: () => Promise<void>;
let dir: string;
let before: ReturnType<typeof rowCounts>;

beforeAll(async () => {
  ({ wb, cleanup } = tempWorkbench());
  dir = tempDir('tb-bad-');
  // Existing data that every failed import must leave exactly as it is.
  await wb.data.importFile(writeFile(dir, 'good.csv', toCsv(['text', 'label'], sentimentRows(20))), { project: 'existing' });
  wb.data.relabel('existing', [1], 'neutral', 'tester');
  before = rowCounts(wb);
});
afterAll(async () => {
  await cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs a failing import and returns its error; the workspace row counts must not move. */
async function failing(file: string, opts: ImportOptions = {}): Promise<TextbenchError> {
  let caught: unknown;
  try {
    await wb.data.importFile(file, { project: 'new-project', ...opts });
  } catch (err) {
    caught = err;
  }
  expect(caught, 'the import should have failed').toBeInstanceOf(TextbenchError);
  expect(rowCounts(wb)).toEqual(before);
  expect(fs.readdirSync(wb.dir).filter((f) => f.startsWith('.import-'))).toEqual([]);
  return caught as TextbenchError;
}

describe('bad input: a clear error naming the file (and line/column) and the workspace unchanged', () => {
  it('empty file', async () => {
    const file = writeFile(dir, 'empty.csv', '');
    const err = await failing(file);
    expect(err.code).toBe('EMPTY_FILE');
    expect(err.message).toContain(file);
    const blank = await failing(writeFile(dir, 'blank.csv', '\n\n  \n'));
    expect(blank.code).toBe('EMPTY_FILE');
  });

  it('a header and no rows', async () => {
    const err = await failing(writeFile(dir, 'header-only.csv', 'text,label\n'));
    expect(err.code).toBe('NO_ROWS');
    expect(err.message).toMatch(/header row but no data rows/);
  });

  it('no header: a header-less file asked for named columns says so and names the columns it has', async () => {
    const file = writeFile(dir, 'noheader.tsv', sentimentRows(20).map(([t, l]) => `${t}\t${l}`).join('\n') + '\n');
    const err = await failing(file, { text: ['text'], label: 'label' });
    expect(err.code).toBe('NO_SUCH_COLUMN');
    expect(err.message).toMatch(/no header row/);
    expect(err.message).toMatch(/column1/);
    expect(err.message).toContain('--text');
  });

  it('rows with the wrong number of fields: the first few line numbers', async () => {
    const rows = sentimentRows(30).map(([t, l]) => `${t.replace(/,/g, '')},${l}`);
    rows[4] = 'one field only';
    rows[9] = 'too,many,fields,here';
    rows[20] = 'a,b,c';
    const file = writeFile(dir, 'width.csv', ['text,label', ...rows].join('\n') + '\n');
    const err = await failing(file);
    expect(err.code).toBe('WRONG_FIELD_COUNT');
    expect(err.message).toContain(file);
    expect(err.details.lines).toEqual([6, 11, 22]);
    expect(err.message).toMatch(/line 6 \(1 field\), line 11 \(4 fields\), line 22 \(3 fields\)/);
  });

  it('a field-count error far into the file, after rows were already staged', async () => {
    const rows = sentimentRows(5000).map(([t, l]) => `${t.replace(/,/g, '')},${l}`);
    rows.push('broken,row,at,the,end');
    const err = await failing(writeFile(dir, 'late.csv', ['text,label', ...rows].join('\n') + '\n'));
    expect(err.details.lines).toEqual([5002]);
  });

  it('a failing import never holds or rolls back other writes made while it reads (it stages outside the workspace)', async () => {
    // Over 1 MB: the file is read in two chunks, so a progress event fires before the broken last line.
    const rows = sentimentRows(28_000).map(([t, l]) => `${t.replace(/,/g, '')},${l}`);
    rows.push('broken,row,at,the,end');
    const file = writeFile(dir, 'concurrent.csv', ['text,label', ...rows].join('\n') + '\n');
    let wroteDuringImport = false;
    const off = wb.onEvent((e) => {
      if (e.type === 'import.progress' && !wroteDuringImport) {
        wroteDuringImport = true;
        // Another part of the app writes to the workspace while the import is still reading.
        wb.data.relabel('existing', [2], 'neutral', 'someone-else');
      }
    });
    let err: unknown;
    try {
      await wb.data.importFile(file, { project: 'new-project' });
    } catch (e) {
      err = e;
    } finally {
      off();
    }
    expect(wroteDuringImport).toBe(true);
    expect((err as TextbenchError).code).toBe('WRONG_FIELD_COUNT');
    // The other write stays; the import left nothing.
    expect(rowCounts(wb)).toEqual({ ...before, labelEdits: before.labelEdits + 1 });
    wb.data.undo('existing');
    expect(wb.data.examples('existing', { flag: 'edited' }).total).toBe(1);
    before = rowCounts(wb);
  });

  it('an unclosed quote: the line where the quoted field starts', async () => {
    const rows = sentimentRows(10).map(([t, l]) => `${t.replace(/,/g, '')},${l}`);
    rows.push('"this quote never closes,positive', 'more text,negative');
    const err = await failing(writeFile(dir, 'quote.csv', ['text,label', ...rows].join('\n') + '\n'));
    expect(err.code).toBe('CSV_QUOTE_NOT_CLOSED');
    expect(err.message).toMatch(/line \d+/);
  });

  it('no label column (a single column of text)', async () => {
    const file = writeFile(dir, 'onecol.csv', 'text\n' + sentimentRows(10).map(([t]) => `"${t}"`).join('\n') + '\n');
    const err = await failing(file);
    expect(err.code).toBe('NO_LABEL_COLUMN');
    expect(err.message).toMatch(/--label/);
  });

  it('a label column that does not exist', async () => {
    const err = await failing(writeFile(dir, 'cols.csv', toCsv(['text', 'label'], sentimentRows(10))), { label: 'category' });
    expect(err.code).toBe('NO_SUCH_COLUMN');
    expect(err.message).toMatch(/"category".*Its columns are: "text", "label"/);
  });

  it('every label empty', async () => {
    const err = await failing(writeFile(dir, 'nolabels.csv', toCsv(['text', 'label'], sentimentRows(10).map(([t]) => [t, '']))), { label: 'label' });
    expect(err.code).toBe('ALL_LABELS_EMPTY');
    expect(err.message).toMatch(/"label" is empty/);
  });

  it('a single class', async () => {
    const err = await failing(writeFile(dir, 'single.csv', toCsv(['text', 'label'], sentimentRows(10).map(([t]) => [t, 'positive']))), { label: 'label' });
    expect(err.code).toBe('SINGLE_CLASS');
    expect(err.message).toMatch(/at least two classes/);
  });

  it('binary garbage: NUL bytes, control characters, a known binary format', async () => {
    const bytes = new Uint8Array(4096);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 256;
    expect((await failing(writeFile(dir, 'garbage.csv', bytes))).code).toBe('BINARY_FILE');
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(100, 1)]);
    const err = await failing(writeFile(dir, 'image.csv', png));
    expect(err.message).toMatch(/PNG image/);
    const ctrl = Buffer.from('text,label\n' + '\x01\x02\x03\x04\x05\x06'.repeat(50) + ',a\n');
    expect((await failing(writeFile(dir, 'ctrl.csv', ctrl))).code).toBe('BINARY_FILE');
  });

  it('a file over the size limit', async () => {
    const file = writeFile(dir, 'big.csv', toCsv(['text', 'label'], sentimentRows(100)));
    const err = await failing(file, { maxBytes: 1000 });
    expect(err.code).toBe('FILE_TOO_LARGE');
    expect(err.message).toMatch(/over the import limit of 1000 bytes/);
  });

  it('bad split values name the lines and suggest --split none', async () => {
    const rows = sentimentRows(10).map(([t, l], i) => [t, l, i === 3 ? 'holdout' : 'train']);
    const err = await failing(writeFile(dir, 'badsplit.csv', toCsv(['text', 'label', 'split'], rows)));
    expect(err.code).toBe('BAD_SPLIT_VALUE');
    expect(err.message).toMatch(/line 5 \("holdout"\)/);
    expect(err.message).toContain('--split none');
  });

  it('broken JSON and JSON Lines name the line', async () => {
    const good = sentimentRows(5).map(([text, label]) => JSON.stringify({ text, label }));
    const jsonl = await failing(writeFile(dir, 'bad.jsonl', [...good, '{"text": "cut off', ...good].join('\n')));
    expect(jsonl.code).toBe('JSON_PARSE');
    expect(jsonl.details.line).toBe(6);
    const arr = await failing(writeFile(dir, 'bad.json', `[\n${good.join(',\n')},\n{"text": "x", "label": }\n]`));
    expect(arr.code).toBe('JSON_PARSE');
    expect(arr.message).toMatch(/line 7/);
    const truncated = await failing(writeFile(dir, 'trunc.json', `[\n${good.join(',\n')}`));
    expect(truncated.message).toMatch(/truncated/);
    const notArray = await failing(writeFile(dir, 'obj.json', '"just a string"'));
    expect(notArray.message).toMatch(/array of objects/);
  });

  it('XLSX: a missing sheet lists the sheets; a fake .xlsx is refused', async () => {
    const book = writeFile(dir, 'b.xlsx', buildXlsx([{ name: 'Data', rows: [['text', 'label'], ...sentimentRows(6)] }]));
    const err = await failing(book, { sheet: 'Nope' });
    expect(err.code).toBe('XLSX_NO_SHEET');
    expect(err.message).toMatch(/"Data"/);
    const fake = await failing(writeFile(dir, 'fake.xlsx', 'text,label\na,b\n'));
    expect(fake.code).toBe('BAD_XLSX');
  });

  it('a missing file', async () => {
    const err = await failing(`${dir}/does-not-exist.csv`);
    expect(err.code).toBe('FILE_NOT_FOUND');
  });

  it('invalid UTF-8 when the caller insisted on UTF-8', async () => {
    const file = writeFile(dir, 'cp.csv', toCsv(['text', 'label'], [['café crème', 'a'], ['thé', 'b']]), 'windows-1252');
    const err = await failing(file, { encoding: 'utf-8' });
    expect(err.code).toBe('BAD_ENCODING');
  });

  it('after all the failures the existing project still reads the same', () => {
    expect(wb.projects.list().map((p) => p.name)).toEqual(['existing']);
    expect(wb.data.examples('existing', { flag: 'edited' }).total).toBe(1);
  });
});
