// Issue 12: CSV/TSV outputs neutralise formula-like cells (OWASP's CSV-injection rule: a cell starting with
// =, +, -, @, tab or carriage return gets a leading apostrophe), with an option to keep cells as they are.
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { classifyFile, csvField, neutraliseFormula } from '../../main/engine/bundle/batch.ts';
import type { Prediction } from '../../shared/domain.ts';
import { tempDir } from '../fixtures/data.ts';

const dir = tempDir('tb-csvinj-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const DANGEROUS = ['=1+1', '+SUM(A1:A9)', '-2+3', '@SUM(1)', '\t=cmd', '\r=cmd', '=HYPERLINK("http://x.test","click")', "=cmd|' /C calc'!A0"];

/** A classifier that labels every text with a formula, to see the output's own cells neutralised too. */
const formulaModel = {
  labels: ['=bad', 'ok'] as const,
  async classify(texts: readonly string[]): Promise<Prediction[]> {
    return texts.map((text) => ({ text, label: '=bad', probability: 0.75, probabilities: { '=bad': 0.75, ok: 0.25 }, long: 'fits' as const }));
  },
};

describe('formula-like cells', () => {
  it('get a leading apostrophe; numbers and ordinary text do not', () => {
    for (const d of DANGEROUS) expect(neutraliseFormula(d)).toBe(`'${d}`);
    for (const safe of ['plain text', '-5', '+3.25', '-1e-3', '0.5', '', "it's", ' =not first']) expect(neutraliseFormula(safe)).toBe(safe);
  });

  it('are quoted as well as prefixed in CSV when they hold the delimiter or a quote', () => {
    expect(csvField('=A1,B1', ',')).toBe(`"'=A1,B1"`);
    expect(csvField('=HYPERLINK("x")', ',')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('=A1,B1', ',', false)).toBe('"=A1,B1"');
  });

  for (const ext of ['csv', 'tsv'] as const) {
    it(`are neutralised in every ${ext.toUpperCase()} cell classify writes (input columns, labels, header), and kept with keepFormulas`, async () => {
      const delimiter = ext === 'csv' ? ',' : '\t';
      const input = path.join(dir, `in.${ext}`);
      const q = (v: string) => `"${v.replace(/"/g, '""')}"`;
      fs.writeFileSync(input, [['=id', 'text'].join(delimiter), ...DANGEROUS.map((d, i) => [q(d), q(`text number ${i}`)].join(delimiter))].join('\n') + '\n');
      const out = path.join(dir, `out.${ext}`);
      await classifyFile(formulaModel, { file: input, out, column: 'text', force: true, read: { delimiter, header: true } });
      const rows = parse(fs.readFileSync(out, 'utf8'), { delimiter, relax_quotes: true }) as string[][];
      expect(rows[0]!.slice(0, 3)).toEqual(["'=id", 'text', 'predicted_label']);
      expect(rows[0]).toContain('p_=bad');
      expect(rows.slice(1).map((r) => r[0])).toEqual(DANGEROUS.map((d) => `'${d}`));
      expect(rows.slice(1).every((r) => r[2] === "'=bad")).toBe(true);
      // No cell of the output starts with a formula character, whatever column it is in (numbers aside).
      for (const cell of rows.flat()) expect(/^[=+\-@\t\r]/.test(cell) && !/^[+-]?\d/.test(cell), cell).toBe(false);

      const raw = path.join(dir, `raw.${ext}`);
      await classifyFile(formulaModel, { file: input, out: raw, column: 'text', force: true, read: { delimiter, header: true }, keepFormulas: true });
      const kept = parse(fs.readFileSync(raw, 'utf8'), { delimiter, relax_quotes: true }) as string[][];
      expect(kept.slice(1).map((r) => r[0])).toEqual(DANGEROUS);
    });
  }

  it('JSON Lines output is data for programs, not a spreadsheet: cells stay as they are', async () => {
    const input = path.join(dir, 'in2.csv');
    fs.writeFileSync(input, 'text\n"=1+1"\n');
    const out = path.join(dir, 'out.jsonl');
    await classifyFile(formulaModel, { file: input, out, column: 'text', force: true });
    expect(JSON.parse(fs.readFileSync(out, 'utf8').trim()).text).toBe('=1+1');
  });
});
