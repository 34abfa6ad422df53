// Issue 12: every reader is bounded in memory and time whatever the file holds, and says which line passed
// which limit (and how to raise the one a user could need to).
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { zipSync, strToU8 } from 'fflate';
import { openTable } from '../../main/engine/data/table.ts';
import { readJsonArray, readJsonLines } from '../../main/engine/data/readers/json.ts';
import { readDelimited } from '../../main/engine/data/readers/delimited.ts';
import { DEFAULT_MAX_CELL_CHARS, MAX_COLUMNS, readLimits } from '../../main/engine/data/readers/limits.ts';
import type { RawRecord } from '../../main/engine/data/readers/types.ts';
import { TextbenchError } from '../../main/engine/errors.ts';
import { tempDir, writeFile } from '../fixtures/data.ts';

const dir = tempDir('tb-limits-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function* chunksOf(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

async function drain(gen: AsyncGenerator<RawRecord[]>): Promise<RawRecord[]> {
  const out: RawRecord[] = [];
  for await (const b of gen) out.push(...b);
  return out;
}

async function refusal(p: Promise<unknown>): Promise<TextbenchError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, 'expected a refusal').toBeInstanceOf(TextbenchError);
  return err as TextbenchError;
}

/** Reads every row of a table (the way import and classify do). */
async function readAll(file: string, opts: Parameters<typeof openTable>[1] = {}): Promise<number> {
  const t = await openTable(file, opts);
  let n = 0;
  try {
    for await (const b of t.rows()) n += b.length;
  } finally {
    t.close();
  }
  return n;
}

/** An .xlsx whose sheet is given as raw XML rows (to write what no spreadsheet program would). */
function rawXlsx(rowsXml: string): Uint8Array {
  return zipSync({
    '[Content_Types].xml': strToU8('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'),
    'xl/workbook.xml': strToU8(
      '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
    ),
    'xl/_rels/workbook.xml.rels': strToU8(
      '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
    ),
    'xl/worksheets/sheet1.xml': strToU8(`<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${rowsXml}</sheetData></worksheet>`),
  });
}

describe('XLSX', () => {
  it('an absurd cell reference (a dozen letters) is refused with its row, not padded out to 26^12 columns', async () => {
    // The reported case: 15 kB, and the reader padded the row to the column the reference names (2.4 GB, V8 fatal).
    const rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>text</t></is></c><c r="B1" t="inlineStr"><is><t>label</t></is></c></row>' +
      '<row r="2"><c r="A2" t="inlineStr"><is><t>fine</t></is></c><c r="ABCDEFGHIJKL2" t="inlineStr"><is><t>x</t></is></c></row>';
    const file = writeFile(dir, 'absurd.xlsx', rawXlsx(rows));
    const err = await refusal(readAll(file));
    expect(err.code).toBe('TOO_MANY_COLUMNS');
    expect(err.message).toContain('absurd.xlsx, line 2');
    expect(err.message).toContain('ABCDEFGHIJKL2');
    expect(err.message).toContain('16,384');
  });

  it('the last real column (XFD) is still read', async () => {
    const rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>text</t></is></c><c r="XFD1" t="inlineStr"><is><t>label</t></is></c></row>' +
      '<row r="2"><c r="A2" t="inlineStr"><is><t>some text</t></is></c><c r="XFD2" t="inlineStr"><is><t>a</t></is></c></row>';
    const t = await openTable(writeFile(dir, 'xfd.xlsx', rawXlsx(rows)));
    try {
      expect(t.columns.length).toBe(MAX_COLUMNS);
      expect(t.columns.at(-1)).toBe('label');
    } finally {
      t.close();
    }
  });

  it('a cell longer than the limit is refused with its reference; raising the limit reads it', async () => {
    const big = 'x'.repeat(300_000);
    const rows = `<row r="1"><c r="A1" t="inlineStr"><is><t>text</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>${big}</t></is></c></row>`;
    const file = writeFile(dir, 'bigcell.xlsx', rawXlsx(rows));
    const err = await refusal(readAll(file, { maxCellChars: 100_000 }));
    expect(err.code).toBe('CELL_TOO_LONG');
    expect(err.message).toMatch(/bigcell\.xlsx, line 2: .*A2.* 100,000 characters.*--max-cell-chars/);
    expect(await readAll(file, { maxCellChars: 400_000 })).toBe(1);
  });
});

describe('CSV/TSV', () => {
  it('a field longer than the limit names its line and the option that raises it', async () => {
    const csv = `text,label\nshort,a\n"${'y'.repeat(5000)}",b\n`;
    const err = await refusal(drain(readDelimited('f.csv', chunksOf(csv, 1000), { delimiter: ',', quoting: true, limits: readLimits(1000) })));
    expect(err.code).toBe('CELL_TOO_LONG');
    expect(err.message).toMatch(/^f\.csv, line 3: one field is longer than 1,000 characters.*--max-cell-chars/);
    expect(await drain(readDelimited('f.csv', chunksOf(csv, 1000), { delimiter: ',', quoting: true, limits: readLimits(6000) }))).toHaveLength(3);
  });

  it('a line of twenty thousand delimiters is refused, not turned into twenty thousand columns', async () => {
    const file = writeFile(dir, 'wide.csv', `text,label\n${','.repeat(20_000)}\n`);
    const err = await refusal(readAll(file));
    expect(err.code).toBe('TOO_MANY_COLUMNS');
    expect(err.message).toMatch(/wide\.csv, line 2/);
  });

  it('many fields at the limit together are refused as one record too long', async () => {
    const cell = 'z'.repeat(1000);
    const csv = `${Array(6).fill(cell).join(',')}\n`;
    const err = await refusal(drain(readDelimited('f.csv', chunksOf(csv, 700), { delimiter: ',', quoting: true, limits: readLimits(1000) })));
    expect(err.code).toBe('RECORD_TOO_LONG');
    expect(err.message).toMatch(/line 1/);
  });

  it('a cell limit outside 1 .. 256 Mi is refused as an option error', () => {
    expect(() => readLimits(0)).toThrow(/cell size limit/);
    expect(() => readLimits(2 ** 30)).toThrow(/cell size limit/);
    expect(readLimits().maxCellChars).toBe(DEFAULT_MAX_CELL_CHARS);
  });
});

describe('JSON and JSON Lines', () => {
  it('a JSON Lines line longer than the record limit is refused as soon as it passes it, in any chunking', async () => {
    const line = `{"text": "${'w'.repeat(10_000)}", "label": "a"}`;
    for (const size of [7, 999, 100_000]) {
      const err = await refusal(drain(readJsonLines('f.jsonl', chunksOf(`{"text":"ok","label":"b"}\n${line}\n`, size), readLimits(2000))));
      expect(err.code).toBe('RECORD_TOO_LONG');
      expect(err.message).toMatch(/^f\.jsonl, line 2: the record is longer than 8,000 characters/);
    }
  });

  it('a value longer than the cell limit is refused with its key once its line is read', async () => {
    const line = `{"text": "${'w'.repeat(3000)}", "label": "a"}`;
    const err = await refusal(drain(readJsonLines('f.jsonl', chunksOf(`${line}\n`, 512), readLimits(2000))));
    expect(err.code).toBe('CELL_TOO_LONG');
    expect(err.message).toMatch(/^f\.jsonl, line 1: the value of "text" is longer than 2,000 characters/);
  });

  it('a JSON Lines file read in pieces gives the same records as read whole (line breaks searched once)', async () => {
    const text = Array.from({ length: 50 }, (_, i) => JSON.stringify({ text: `row ${i} ${'é'.repeat(i * 37)}`, label: String(i % 3) })).join('\n');
    const whole = await drain(readJsonLines('f.jsonl', chunksOf(text, text.length)));
    for (const size of [1, 13, 4096]) {
      const got = await drain(readJsonLines('f.jsonl', chunksOf(text, size)));
      expect(got.map((r) => [r.line, [...r.values!]])).toEqual(whole.map((r) => [r.line, [...r.values!]]));
    }
  });

  it('a value nested deeper than the limit is refused with its line (JSON.stringify would overflow the stack)', async () => {
    const deep = `{"text": "t", "label": "a", "meta": ${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    const lines = await refusal(drain(readJsonLines('f.jsonl', chunksOf(`{"text":"a","label":"b"}\n${deep}\n`, 4096))));
    expect(lines.code).toBe('JSON_TOO_DEEP');
    expect(lines.message).toMatch(/^f\.jsonl, line 2: .*64 levels/);
    const array = await refusal(drain(readJsonArray('f.json', chunksOf(`[\n${deep}\n]`, 4096))));
    expect(array.code).toBe('JSON_TOO_DEEP');
    expect(array.message).toMatch(/^f\.json, line 2/);
  });

  it('an object with more keys than columns allowed is refused', async () => {
    const wide = JSON.stringify(Object.fromEntries(Array.from({ length: MAX_COLUMNS + 1 }, (_, i) => [`k${i}`, i])));
    const err = await refusal(drain(readJsonLines('f.jsonl', chunksOf(wide, 65536))));
    expect(err.code).toBe('TOO_MANY_COLUMNS');
  });

  it('a JSON array element longer than the record limit is refused with its line', async () => {
    const json = `[{"text":"a","label":"x"},\n{"text":"${'q'.repeat(5000)}","label":"y"}]`;
    const err = await refusal(drain(readJsonArray('f.json', chunksOf(json, 100), readLimits(1000))));
    expect(err.code).toBe('RECORD_TOO_LONG');
    expect(err.message).toMatch(/^f\.json, line 2: the record is longer than 4,000/);
  });
});

describe('files that are not regular files', () => {
  it('a FIFO is refused instead of blocking the reader forever', async () => {
    const fifo = `${dir}/pipe.csv`;
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [fifo]);
    const err = await refusal(openTable(fifo));
    expect(err.code).toBe('NOT_A_FILE');
  });
});
