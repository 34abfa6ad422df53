// Batch classification of a file: streams the input in chunks, keeps every input column, appends the
// prediction, and writes CSV/TSV or JSONL to a temporary file that is renamed into place at the end.
// Input is read with the importer's table reader (data/table.ts: csv-parse streaming for CSV/TSV, JSON,
// JSONL, XLSX, sniffed encoding, delimiter and header), so whatever `textbench import` reads can be classified.
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import type { Prediction, Progress } from '../../../shared/domain.ts';
import type { ClassifyFileResult } from '../../../shared/bundle.ts';
import type { ReadOptions } from '../../../shared/data.ts';
import { TextbenchError } from '../errors.ts';
import { cancelledError } from '../tasks/wire.ts';
import { openTable, type Table } from '../data/table.ts';
import { NotUtf8Error } from '../data/decode.ts';
import { besideName, sweepBeside } from '../leftovers.ts';

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
  /** How to read the input (format, encoding, delimiter, header, sheet); default: sniffed as `textbench import` does. */
  read?: ReadOptions;
  /** Called with each chunk's predictions (in input order) before they are written; the workspace stores them here. */
  onPredictions?: (predictions: Prediction[]) => void;
  /** Asked before each chunk: true stops the run (nothing is written to `out`; the error has code CANCELLED). */
  cancelled?: () => boolean;
  /**
   * Write CSV/TSV cells exactly as they are. By default a cell that starts like a formula gets a leading
   * apostrophe so that opening the output in a spreadsheet never runs it; programs reading it may not want that.
   */
  keepFormulas?: boolean;
}

type FileFormat = 'csv' | 'tsv' | 'jsonl';
/** Characters of input rows held at once before they are classified and written. */
const BATCH_CHARS = 16 * 1024 * 1024;
/** One input row: its 1-based line and its values by column. */
type Row = { line: number; values: Record<string, string> };

/** The output format, by the output file's extension: .jsonl/.ndjson JSON lines, .tsv/.tab tabs, else CSV. */
export function outputFormat(file: string): FileFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  return 'csv';
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

/** A cell a spreadsheet would run as a formula (OWASP's CSV-injection rule): =, +, -, @, tab or CR first. */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A plain number cannot be a formula, and "-5" must stay a number for whoever sums the column. */
const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A cell that a spreadsheet would evaluate, made inert with a leading apostrophe (which spreadsheets show as
 * text and do not display); anything else unchanged.
 */
export function neutraliseFormula(s: string): string {
  return FORMULA_START.test(s) && !PLAIN_NUMBER.test(s) ? `'${s}` : s;
}

/** One CSV/TSV cell: neutralised unless `guard` is off, then quoted where the format needs it. */
export function csvField(value: unknown, delimiter: string, guard = true): string {
  const raw = value === null || value === undefined ? '' : typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  const s = guard ? neutraliseFormula(raw) : raw;
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

export async function classifyFile(model: TextClassifier, options: ClassifyFileOptions): Promise<ClassifyFileResult> {
  const file = path.resolve(options.file);
  const out = path.resolve(options.out);
  if (file === out) throw new TextbenchError(`--out ${out} is the input file itself. Write the predictions to another file.`, 'CLASSIFY_OUT_IS_INPUT', { file });
  if (fs.existsSync(out) && !options.force) {
    throw new TextbenchError(`${out} already exists. Choose another --out file, or add --force to replace it.`, 'CLASSIFY_OUT_EXISTS', { file: out });
  }
  const outFormat = outputFormat(out);
  const chunkRows = options.chunkRows ?? 256;
  // The sample (first rows) decides the text column before anything is written.
  const table: Table = await openTable(file, { sampleRows: 500, ...options.read });
  const total = table.sizeBytes;
  const columns = table.columns;
  const toRow = (cells: string[], line: number): Row => {
    const values: Record<string, string> = {};
    for (let i = 0; i < columns.length; i++) values[columns[i]!] = cells[i] ?? '';
    return { line, values };
  };

  let column = options.column;
  if (column !== undefined && !columns.includes(column)) {
    table.close();
    throw new TextbenchError(`${file} has no column "${column}". Its columns are: ${columns.join(', ') || '(none)'}. Pass one of them with --column.`, 'CLASSIFY_COLUMN_NOT_FOUND', {
      file,
      column,
    });
  }
  column ??= guessTextColumn(columns, table.sample.map((r) => toRow(r.cells, r.line)));
  if (!column) {
    table.close();
    throw new TextbenchError(
      `${file} has no column of text to classify (columns: ${columns.join(', ')}). Name the column with --column.`,
      'CLASSIFY_COLUMN_NOT_FOUND',
      { file },
    );
  }

  let lastEmit = 0;
  let lastDone = -1;
  const progress = (final: boolean): void => {
    if (!options.onProgress) return;
    const now = Date.now();
    const done = final ? total : Math.min(table.bytesRead(), total);
    if (done <= lastDone || (!final && now - lastEmit < 100)) return;
    lastEmit = now;
    lastDone = done;
    options.onProgress({ task: `classify ${path.basename(file)}`, done, total, unit: 'bytes' });
  };

  const taken = new Set(columns);
  const names = {
    label: uniqueName('predicted_label', taken),
    probability: uniqueName('probability', taken),
    long: uniqueName('long', taken),
    probabilities: uniqueName('probabilities', taken),
    perLabel: model.labels.map((l) => uniqueName(`p_${l}`, taken)),
  };
  const delimiter = outFormat === 'tsv' ? '\t' : ',';
  const guard = options.keepFormulas !== true;
  fs.mkdirSync(path.dirname(out), { recursive: true });
  sweepBeside(out);
  const temp = besideName(out, 'tmp');
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
    warnings: [],
  };
  let extraCells = 0;
  let firstExtraLine = 0;
  const textColumn = column;
  const flush = async (batch: Row[]): Promise<void> => {
    if (!batch.length) return;
    if (options.cancelled?.()) throw cancelledError(`Classifying ${path.basename(file)}`);
    const preds = await model.classify(batch.map((r) => r.values[textColumn]!));
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
        const fields = columns.map((c) => csvField(r.values[c], delimiter, guard));
        fields.push(csvField(p.label, delimiter, guard), String(p.probability), p.long ?? 'fits');
        for (const l of model.labels) fields.push(String(p.probabilities[l]));
        text += fields.join(delimiter) + '\n';
      }
    }
    result.rows += batch.length;
    await write(text);
    progress(false);
  };

  try {
    if (outFormat !== 'jsonl') {
      await write([...columns, names.label, names.probability, names.long, ...names.perLabel].map((c) => csvField(c, delimiter, guard)).join(delimiter) + '\n');
    }
    let batch: Row[] = [];
    let batchChars = 0;
    for await (const rows of table.rows()) {
      for (const r of rows) {
        if (r.cells.length > columns.length && !extraCells++) firstExtraLine = r.line;
        batch.push(toRow(r.cells, r.line));
        for (const c of r.cells) batchChars += c.length;
        // Long texts go out in smaller batches: memory stays bounded by characters, not only by rows.
        if (batch.length >= chunkRows || batchChars > BATCH_CHARS) {
          await flush(batch);
          batch = [];
          batchChars = 0;
        }
      }
    }
    await flush(batch);
    ws.end();
    await once(ws, 'finish');
    fs.renameSync(temp, out);
  } catch (err) {
    table.close();
    ws.destroy();
    fs.rmSync(temp, { force: true });
    if (err instanceof NotUtf8Error) {
      // Rows were already classified (and maybe stored) as UTF-8: say so rather than read the file again.
      throw new TextbenchError(
        `${file}, line ${err.line}: the file starts as UTF-8 but most of it is Windows-1252 (its bytes near offset ${err.offset} are not UTF-8). ` +
          'Save it as UTF-8, or classify it with the encoding set to windows-1252.',
        'MIXED_ENCODING',
        { file, line: err.line },
      );
    }
    throw err;
  }
  if (extraCells) {
    result.warnings.push(
      `${extraCells} row(s) had more cells than the header names (first at line ${firstExtraLine}); the cells without a column name were not copied to the output.`,
    );
  }
  result.warnings.push(...table.notes());
  progress(true);
  return result;
}
