// Issue 12: long texts never stop Textbench. A project with one 5 MB text trains; one 800 kB text classifies
// as fast as a short one (it is cut before tokenisation); a JSON Lines file that is one endless line is refused
// once the line passes the record limit instead of being scanned over and over (the reported hang).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Workbench } from '../../main/engine/workbench.ts';
import { TextbenchError } from '../../main/engine/errors.ts';
import { uciRows } from '../unit/loop-fixtures.ts';
import { rowCounts } from '../fixtures/data.ts';

let dir: string;
let wb: Workbench;

/** Real sentences repeated to `chars` characters: tokenising it whole used to take minutes. */
function longText(chars: number): string {
  const sentences = uciRows()
    .slice(0, 200)
    .map((r) => r.text)
    .join(' ');
  return sentences.repeat(Math.ceil(chars / sentences.length)).slice(0, chars);
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-long-'));
  const rows = uciRows();
  const slice = [...rows.filter((r) => r.split === 'train').slice(0, 200), ...rows.filter((r) => r.split === 'test').slice(0, 60)];
  const q = (v: string) => `"${v.replace(/"/g, '""')}"`;
  const lines = ['text,label,split', ...slice.map((r) => [q(r.text), r.label, r.split].join(',')), [q(longText(5 * 1024 * 1024)), 'positive', 'train'].join(',')];
  const csv = path.join(dir, 'with-a-book.csv');
  fs.writeFileSync(csv, lines.join('\n') + '\n');
  wb = Workbench.open({ workspace: path.join(dir, 'ws') });
  const r = await wb.data.importFile(csv, { project: 'long', text: ['text'], label: 'label', split: 'split' });
  expect(r.rows).toBe(slice.length + 1);
});

afterAll(async () => {
  await wb?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('long texts', () => {
  let run = '';

  it('a project holding one 5 MB text trains to the end (the run used to stay queued)', async () => {
    const result = await wb.training.train({ project: 'long', model: 'baseline', epochs: 1, embeddingDim: 8, seed: 1 });
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('finished');
    run = result.run;
  });

  it('an 800 kB text classifies, marked truncated, with the prediction its head and tail give', async () => {
    const text = longText(800 * 1024);
    const [long] = await wb.models.classify({ run, texts: [text] });
    expect(long!.long).toBe('truncated');
    // What the model reads of it is within the first and last 200 x 32 characters: classifying just those gives the same.
    const window = 200 * 32;
    const [ends] = await wb.models.classify({ run, texts: [`${text.slice(0, window)}\n${text.slice(-window)}`] });
    expect(long!.probabilities).toEqual(ends!.probabilities);
  });

  it('a JSON Lines file of one 160 MB line is refused once the line passes the limit, and nothing is written', async () => {
    const file = path.join(dir, 'one-line.jsonl');
    const fd = fs.openSync(file, 'w');
    const piece = 'endless words '.repeat(1 << 16);
    fs.writeSync(fd, '{"text": "');
    for (let n = 0; n < 160 * 1024 * 1024; n += piece.length) fs.writeSync(fd, piece);
    fs.writeSync(fd, '", "label": "a"}\n');
    fs.closeSync(fd);
    const before = rowCounts(wb);
    const err = await wb.data.importFile(file, { project: 'other' }).then(
      () => null,
      (e: unknown) => e,
    );
    fs.rmSync(file);
    expect(err).toBeInstanceOf(TextbenchError);
    expect((err as TextbenchError).code).toBe('RECORD_TOO_LONG');
    expect((err as TextbenchError).message).toMatch(/one-line\.jsonl, line 1: the record is longer than 64 M characters.*--max-cell-chars/);
    expect(rowCounts(wb)).toEqual(before);
    expect(fs.readdirSync(wb.dir).filter((f) => f.startsWith('.import-'))).toEqual([]);
  }, 90_000);
});
