// Batch classification of a CSV/TSV/JSONL file: streams the input in chunks, keeps every input column,
// appends the prediction, and writes CSV/TSV or JSONL to a temporary file that is renamed into place at the end.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import readline from 'node:readline';
import { once } from 'node:events';
import { parse, CsvError } from 'csv-parse';
import type { Prediction, Progress } from '../../../shared/domain.ts';
import type { ClassifyFileResult } from '../../../shared/bundle.ts';
import { TextbenchError } from '../errors.ts';

export interface TextClassifier {
  readonly labels: readonly string[];
  classify(texts: readonly string[]): Promise<Prediction[]>;
}

export interface ClassifyFileOptions {
  file: string;
  out: string;
  column?: string;
  force?: boolean;
  /** Rows classified at a time. */
  chunkRows?: number;
  onProgress?: (p: Progress) => void;
  /** Called with each chunk's predictions (in input order) before they are written; the workspace stores them here. */
  onPredictions?: (predictions: Prediction[]) => void;
}

type FileFormat = 'csv' | 'tsv' | 'jsonl';
/** One input row: its 1-based line, its values by column, and the input bytes consumed up to its end. */
type Row = { line: number; values: Record<string, string | unknown>; bytes?: number };

export function formatOf(file: string, role: 'input' | 'output'): FileFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  if (ext === '.csv' || role === 'output') return 'csv';
  throw new TextbenchError(
    `${file}: Textbench classifies CSV, TSV or JSONL files, and cannot tell the format of a "${ext || 'no extension'}" file. ` +
      'Rename it to .csv, .tsv or .jsonl to say which it is.',
    'CLASSIFY_FORMAT_UNKNOWN',
    { file },
  );
}

/** A free default output path beside the input: reviews.csv -> reviews.classified.csv (then .2, .3 ...). */
export function defaultOutPath(file: string): string {
  const ext = path.extname(file);
  const base = file.slice(0, file.length - ext.length);
  const outExt = ext.toLowerCase() === '.jsonl' || ext.toLowerCase() === '.ndjson' || ext.toLowerCase() === '.tsv' ? ext : '.csv';
  for (let i = 1; ; i++) {
    const candidate = `${base}.classified${i === 1 ? '' : `.${i}`}${outExt}`;
    if (!fs.existsSync(candidate)) return candidate;
  }
}

const CSV_NEEDS_QUOTES = /["\r\n]|^\s|\s$/;

export function csvField(value: unknown, delimiter: string): string {
  const s = value === null || value === undefined ? '' : typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (s.includes(delimiter) || CSV_NEEDS_QUOTES.test(s)) return `"${s.replace(/"/g, '""')}"`;
  return s;
}

function uniqueName(wanted: string, taken: Set<string>): string {
  let name = wanted;
  for (let i = 2; taken.has(name); i++) name = `${wanted}_${i}`;
  taken.add(name);
  return name;
}

/**
 * The text column when none is named: among columns whose values are mostly not numbers,
 * the one with the longest texts on average.
 */
export function guessTextColumn(columns: readonly string[], sample: readonly Row[]): string | undefined {
  let best: string | undefined;
  let bestLen = -1;
  for (const c of columns) {
    let texts = 0;
    let filled = 0;
    let length = 0;
    for (const r of sample) {
      const v = r.values[c];
      if (typeof v !== 'string' || !v.trim()) continue;
      filled++;
      if (!Number.isFinite(Number(v.trim()))) {
        texts++;
        length += v.length;
      }
    }
    if (!filled || texts / filled < 0.5) continue;
    const avg = length / texts;
    if (avg > bestLen) {
      bestLen = avg;
      best = c;
    }
  }
  return best;
}

/** Yields rows with their 1-based line number; tracks bytes read for progress. */
async function* readRows(file: string, format: FileFormat): AsyncGenerator<{ columns?: string[]; row?: Row }> {
  const input = fs.createReadStream(file);
  if (format === 'jsonl') {
    const lines = readline.createInterface({ input, crlfDelay: Infinity });
    let line = 0;
    let bytes = 0;
    for await (const text of lines) {
      line++;
      bytes += Buffer.byteLength(text) + 1;
      const t = line === 1 ? text.replace(/^\uFEFF/, '') : text;
      if (!t.trim()) continue;
      let value: unknown;
      try {
        value = JSON.parse(t);
      } catch (err) {
        input.destroy();
        throw new TextbenchError(`${file}, line ${line}: not valid JSON (${(err as Error).message}). Fix that line or remove it.`, 'CLASSIFY_INPUT_INVALID', {
          file,
          line,
        });
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        input.destroy();
        throw new TextbenchError(`${file}, line ${line}: each line must be a JSON object such as {"text": "..."}.`, 'CLASSIFY_INPUT_INVALID', { file, line });
      }
      yield { row: { line, values: value as Record<string, unknown>, bytes } };
    }
    return;
  }
  const parser = parse({ delimiter: format === 'tsv' ? '\t' : ',', bom: true, skip_empty_lines: true, info: true });
  input.pipe(parser);
  input.on('error', (err) => parser.destroy(err));
  let columns: string[] | undefined;
  try {
    for await (const rec of parser as AsyncIterable<{ record: string[]; info: { lines: number; bytes: number } }>) {
      if (!columns) {
        columns = rec.record.map((c) => c.trim());
        const seen = new Set<string>();
        for (const [i, c] of columns.entries()) {
          if (!c) throw new TextbenchError(`${file}, line 1: column ${i + 1} has no name in the header. Give every column a name.`, 'CLASSIFY_INPUT_INVALID', { file, line: 1, column: i + 1 });
          if (seen.has(c)) throw new TextbenchError(`${file}, line 1: the header names the column "${c}" twice. Rename one of them.`, 'CLASSIFY_INPUT_INVALID', { file, line: 1, column: c });
          seen.add(c);
        }
        yield { columns };
        continue;
      }
      const values: Record<string, string> = {};
      for (let i = 0; i < columns.length; i++) values[columns[i]!] = rec.record[i] ?? '';
      yield { row: { line: rec.info.lines, values, bytes: rec.info.bytes } };
    }
  } catch (err) {
    if (err instanceof CsvError) {
      const e = err as CsvError & { lines?: number; column?: number | string };
      const where = e.lines !== undefined ? `, line ${e.lines}` : '';
      throw new TextbenchError(`${file}${where}: ${e.message}. Fix the file (quotes must be doubled inside quoted cells) and try again.`, 'CLASSIFY_INPUT_INVALID', {
        file,
        line: e.lines,
      });
    }
    throw err;
  } finally {
    input.destroy();
  }
}

export async function classifyFile(model: TextClassifier, options: ClassifyFileOptions): Promise<ClassifyFileResult> {
  const file = path.resolve(options.file);
  const out = path.resolve(options.out);
  if (!fs.existsSync(file)) throw new TextbenchError(`There is no file ${file}. Check the path given to --file.`, 'FILE_NOT_FOUND', { file });
  if (file === out) throw new TextbenchError(`--out ${out} is the input file itself. Write the predictions to another file.`, 'CLASSIFY_OUT_IS_INPUT', { file });
  if (fs.existsSync(out) && !options.force) {
    throw new TextbenchError(`${out} already exists. Choose another --out file, or add --force to replace it.`, 'CLASSIFY_OUT_EXISTS', { file: out });
  }
  const inFormat = formatOf(file, 'input');
  const outFormat = formatOf(out, 'output');
  const total = fs.statSync(file).size;
  let consumed = 0;
  const chunkRows = options.chunkRows ?? 256;

  let lastEmit = 0;
  let lastDone = -1;
  const progress = (final: boolean): void => {
    if (!options.onProgress) return;
    const now = Date.now();
    const done = final ? total : Math.min(consumed, total);
    if (done <= lastDone || (!final && now - lastEmit < 100)) return;
    lastEmit = now;
    lastDone = done;
    options.onProgress({ task: `classify ${path.basename(file)}`, done, total, unit: 'bytes' });
  };

  const rows = readRows(file, inFormat);
  let columns: string[] | undefined;
  const sample: Row[] = [];
  let ended = false;
  // The first rows decide the column (and the JSONL columns for CSV output) before anything is written.
  while (sample.length < 500) {
    const next = await rows.next();
    if (next.done) {
      ended = true;
      break;
    }
    if (next.value.columns) columns = next.value.columns;
    else if (next.value.row) sample.push(next.value.row);
  }
  if (!columns) {
    const keys = new Set<string>();
    for (const r of sample) for (const k of Object.keys(r.values)) keys.add(k);
    columns = [...keys];
  }
  let column = options.column;
  if (column !== undefined && !columns.includes(column)) {
    await rows.return(undefined);
    throw new TextbenchError(`${file} has no column "${column}". Its columns are: ${columns.join(', ') || '(none)'}. Pass one of them with --column.`, 'CLASSIFY_COLUMN_NOT_FOUND', {
      file,
      column,
    });
  }
  column ??= guessTextColumn(columns, sample);
  if (!column) {
    await rows.return(undefined);
    throw new TextbenchError(
      `${file} has no column of text to classify${columns.length ? ` (columns: ${columns.join(', ')})` : ' (it is empty)'}. Name the column with --column.`,
      'CLASSIFY_COLUMN_NOT_FOUND',
      { file },
    );
  }

  const taken = new Set(columns);
  const names = {
    label: uniqueName('predicted_label', taken),
    probability: uniqueName('probability', taken),
    long: uniqueName('long', taken),
    probabilities: uniqueName('probabilities', taken),
    perLabel: model.labels.map((l) => uniqueName(`p_${l}`, taken)),
  };
  const delimiter = outFormat === 'tsv' ? '\t' : ',';
  const temp = path.join(path.dirname(out), `.${path.basename(out)}.tmp-${crypto.randomBytes(4).toString('hex')}`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const ws = fs.createWriteStream(temp, { flags: 'wx' });
  const write = async (s: string): Promise<void> => {
    // once() rejects if the stream emits 'error' while we wait, so a full disk surfaces here.
    if (!ws.write(s)) await once(ws, 'drain');
  };

  const result: ClassifyFileResult = {
    file,
    out,
    column,
    rows: 0,
    format: outFormat,
    long: { fits: 0, truncated: 0, windows: 0 },
    labels: Object.fromEntries(model.labels.map((l) => [l, 0])),
    stored: 0,
  };
  const cols = columns;
  const textColumn = column;
  const flush = async (batch: Row[]): Promise<void> => {
    if (!batch.length) return;
    const texts = batch.map((r) => {
      const v = r.values[textColumn];
      return typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v);
    });
    const preds = await model.classify(texts);
    options.onPredictions?.(preds);
    let text = '';
    for (let i = 0; i < batch.length; i++) {
      const p = preds[i]!;
      const r = batch[i]!;
      result.labels[p.label] = (result.labels[p.label] ?? 0) + 1;
      if (p.long) result.long[p.long]++;
      if (outFormat === 'jsonl') {
        text += JSON.stringify({ ...r.values, [names.label]: p.label, [names.probability]: p.probability, [names.probabilities]: p.probabilities, [names.long]: p.long ?? 'fits' }) + '\n';
      } else {
        const fields = cols.map((c) => csvField(r.values[c], delimiter));
        fields.push(csvField(p.label, delimiter), String(p.probability), p.long ?? 'fits');
        for (const l of model.labels) fields.push(String(p.probabilities[l]));
        text += fields.join(delimiter) + '\n';
      }
    }
    result.rows += batch.length;
    await write(text);
    consumed = Math.max(consumed, batch[batch.length - 1]!.bytes ?? 0);
    progress(false);
  };

  try {
    if (outFormat !== 'jsonl') {
      await write([...cols, names.label, names.probability, names.long, ...names.perLabel].map((c) => csvField(c, delimiter)).join(delimiter) + '\n');
    }
    for (let i = 0; i < sample.length; i += chunkRows) await flush(sample.slice(i, i + chunkRows));
    if (!ended) {
      let batch: Row[] = [];
      for await (const next of rows) {
        if (!next.row) continue;
        batch.push(next.row);
        if (batch.length >= chunkRows) {
          await flush(batch);
          batch = [];
        }
      }
      await flush(batch);
    }
    ws.end();
    await once(ws, 'finish');
    fs.renameSync(temp, out);
  } catch (err) {
    ws.destroy();
    fs.rmSync(temp, { force: true });
    throw err;
  }
  progress(true);
  return result;
}
