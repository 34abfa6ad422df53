// Batch classification of a generated 10,000-row CSV whose text column holds quotes, commas, embedded newlines
// and non-Latin text, through a real bundle (real text pipeline, real model-zoo network, untrained weights).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import * as tf from '@tensorflow/tfjs';
import { fitPipeline } from '../../main/engine/text/pipeline.ts';
import { modelBuilder } from '../../main/engine/train/models.ts';
import { modelToArtifacts } from '../../main/engine/train/artifacts.ts';
import { writeBundle } from '../../main/engine/bundle/writer.ts';
import { topologyInputs } from '../../main/engine/bundle/format.ts';
import { loadBundle, type LoadedBundle } from '../../main/engine/bundle/index.ts';
import { classifyFile } from '../../main/engine/bundle/batch.ts';
import type { Progress } from '../../shared/domain.ts';

const ROWS = 10_000;
const LABELS = ['negative', 'neutral', 'positive'];
let tmp: string;
let bundleDir: string;
let input: string;
let model: LoadedBundle;
let rows: Array<{ id: string; text: string; lang: string; stars: string }>;

function makeText(i: number): string {
  const pieces = [
    `Row ${i}: "quoted" words, with commas`,
    `line one\nline two of row ${i}`,
    `Отличный телефон, но "батарея" слабая ${i}`,
    `这个产品很好 ${i}，非常满意`,
    `مرحبا بالعالم ${i} 😀`,
    `  leading spaces and a tab\tinside ${i}`,
    `windows\r\nline ending ${i} ""double"" quotes`,
    `${'long text '.repeat(30)}${i}`,
  ];
  return pieces[i % pieces.length]!;
}

function csvCell(s: string): string {
  return /[",\r\n\t]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-classify-batch-'));
  const train = ['good phone', 'bad battery', 'great film', 'awful service', 'Отличный телефон', '这个产品很好', 'long text here'];
  const pipeline = fitPipeline(train, { tokens: 'words', sequenceLength: 12, long: 'windows', minCount: 1 });
  const net = modelBuilder('baseline', { embeddingDim: 8, dropout: 0 })({ inputDim: pipeline.inputDim, sequenceLength: pipeline.sequenceLength, classes: LABELS.length }, 7);
  const artifacts = await modelToArtifacts(net);
  bundleDir = path.join(tmp, 'bundle');
  await writeBundle(bundleDir, {
    name: 'batch-test',
    artifacts,
    pipeline: pipeline.toJSON(),
    labels: LABELS,
    inputs: topologyInputs(artifacts.topology as Record<string, unknown>),
    model: { type: 'baseline', config: {} },
    training: { run: null, project: null, dataHash: null, backend: 'cpu', epoch: null, checkpoint: null },
    metrics: null,
  });
  net.dispose();
  model = await loadBundle(bundleDir);

  rows = Array.from({ length: ROWS }, (_, i) => ({ id: String(i), text: makeText(i), lang: ['en', 'ru', 'zh', 'ar'][i % 4]!, stars: String(i % 5) }));
  input = path.join(tmp, 'input.csv');
  const lines = ['id,text,lang,stars', ...rows.map((r) => [r.id, r.text, r.lang, r.stars].map(csvCell).join(','))];
  fs.writeFileSync(input, '\uFEFF' + lines.join('\r\n') + '\r\n');
});

afterAll(() => {
  model?.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('batch classify', () => {
  it('classifies 10,000 CSV rows in order, keeps the other columns, and reports progress', async () => {
    const events: Progress[] = [];
    const out = path.join(tmp, 'out.csv');
    const result = await classifyFile(model, { file: input, out, onProgress: (p) => events.push(p), chunkRows: 500 });
    expect(result.column).toBe('text'); // guessed: the longest non-numeric column
    expect(result.rows).toBe(ROWS);
    expect(Object.values(result.labels).reduce((a, b) => a + b, 0)).toBe(ROWS);
    expect(result.long.windows).toBe(ROWS / 8); // the 'long text' rows
    expect(result.long.truncated).toBe(0);

    const parsed = parse(fs.readFileSync(out), { columns: true, bom: true }) as Array<Record<string, string>>;
    expect(parsed).toHaveLength(ROWS);
    expect(Object.keys(parsed[0]!)).toEqual(['id', 'text', 'lang', 'stars', 'predicted_label', 'probability', 'long', ...LABELS.map((l) => `p_${l}`)]);
    for (let i = 0; i < ROWS; i++) {
      const got = parsed[i]!;
      const want = rows[i]!;
      if (got.id !== want.id || got.text !== want.text || got.lang !== want.lang || got.stars !== want.stars) {
        throw new Error(`row ${i} differs: ${JSON.stringify(got)} vs ${JSON.stringify(want)}`);
      }
      expect(LABELS).toContain(got.predicted_label);
    }
    // Spot-check predictions against classify() on the same texts.
    const sample = [0, 1, 2, 3, 4, 5, 6, 7, 4999, 9999];
    const direct = await model.classify(sample.map((i) => rows[i]!.text));
    sample.forEach((i, k) => {
      expect(parsed[i]!.predicted_label).toBe(direct[k]!.label);
      expect(Number(parsed[i]!.probability)).toBe(direct[k]!.probability);
      expect(parsed[i]!.long).toBe(direct[k]!.long);
      for (const l of LABELS) expect(Number(parsed[i]![`p_${l}`])).toBe(direct[k]!.probabilities[l]);
    });

    expect(events.length).toBeGreaterThan(0);
    for (let i = 1; i < events.length; i++) expect(events[i]!.done).toBeGreaterThan(events[i - 1]!.done);
    expect(events.at(-1)!.done).toBe(events.at(-1)!.total);
    expect(events.at(-1)!.total).toBe(fs.statSync(input).size);
    expect(fs.readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('writes JSONL with the named column and refuses to overwrite without force', async () => {
    const out = path.join(tmp, 'out.jsonl');
    const r = await classifyFile(model, { file: input, out, column: 'text' });
    expect(r.format).toBe('jsonl');
    const lines = fs.readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(ROWS);
    const first = JSON.parse(lines[1]!);
    expect(first).toMatchObject({ id: '1', text: rows[1]!.text, lang: 'ru', stars: '1' });
    expect(Object.keys(first.probabilities)).toEqual(LABELS);
    expect(JSON.parse(lines[ROWS - 1]!).id).toBe(String(ROWS - 1));
    await expect(classifyFile(model, { file: input, out })).rejects.toMatchObject({ code: 'CLASSIFY_OUT_EXISTS' });
    await expect(classifyFile(model, { file: input, out: path.join(tmp, 'x.csv'), column: 'body' })).rejects.toThrow(
      /has no column "body"\. Its columns are: id, text, lang, stars/,
    );
  });

  it('reads what import reads: a windows-1252 TSV comes out as UTF-8; extra cells are reported, not dropped silently', async () => {
    const tsv = path.join(tmp, 'legacy.tsv');
    fs.writeFileSync(tsv, iconv.encode('id\tcomment\n1\tcafé crème très bon\n2\tnaïve façade\textra cell\n3\tÉté\n', 'windows-1252'));
    const out = path.join(tmp, 'legacy.out.csv');
    const r = await classifyFile(model, { file: tsv, out });
    expect(r.column).toBe('comment');
    const parsed = parse(fs.readFileSync(out, 'utf8'), { columns: true }) as Array<Record<string, string>>;
    expect(parsed.map((p) => p.comment)).toEqual(['café crème très bon', 'naïve façade', 'Été']);
    expect(r.warnings.join(' ')).toContain('1 row(s) had more cells than the header names (first at line 3)');
  });

  it('reads JSONL input, and names the line of a broken CSV row', async () => {
    const jsonl = path.join(tmp, 'in.jsonl');
    fs.writeFileSync(jsonl, rows.slice(0, 50).map((r) => JSON.stringify({ review: r.text, n: Number(r.id) })).join('\n') + '\n');
    const out = path.join(tmp, 'in.out.csv');
    const r = await classifyFile(model, { file: jsonl, out });
    expect(r.column).toBe('review');
    const parsed = parse(fs.readFileSync(out), { columns: true }) as Array<Record<string, string>>;
    expect(parsed.map((p) => p.review)).toEqual(rows.slice(0, 50).map((x) => x.text));
    expect(parsed[49]!.n).toBe('49');

    const broken = path.join(tmp, 'broken.csv');
    fs.writeFileSync(broken, 'id,text\n1,fine\n2,"unclosed quote\n3,next\n');
    await expect(classifyFile(model, { file: broken, out: path.join(tmp, 'broken.out.csv') })).rejects.toMatchObject({
      code: 'CSV_QUOTE_NOT_CLOSED',
      message: expect.stringContaining(broken),
    });
    expect(fs.existsSync(path.join(tmp, 'broken.out.csv'))).toBe(false);
    expect(fs.readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});
