import fs from 'node:fs';
import path from 'node:path';
import type { ImportFormat, TextEncoding } from '../../../shared/domain.ts';
import type { ReadOptions } from '../../../shared/data.ts';
import { TextbenchError } from '../errors.ts';
import { decodeFile, decodeNotes, decodeSample, looksUtf8, newDecodeState, readHead, scanUtf8, utf8EvidenceOfFile } from './decode.ts';
import { sniffDelimiter, sniffEncoding, sniffFormat, sniffQuoting, wholeLines, type EncodingSniff } from './sniff.ts';
import { readDelimited } from './readers/delimited.ts';
import { readJsonArray, readJsonLines } from './readers/json.ts';
import { XlsxReader, columnLetter } from './readers/xlsx.ts';
import type { RawRecord } from './readers/types.ts';
import { readLimits, tooManyColumns, type ReadLimits } from './readers/limits.ts';

/** One data row: the line (or sheet row / JSON element) it came from and its cells in column order. */
export interface Row {
  line: number;
  cells: string[];
}

/** A file opened for reading: what was sniffed, the column names, a sample of rows, and a stream of all rows. */
export interface Table {
  file: string;
  format: ImportFormat;
  encoding: TextEncoding;
  encodingReason: EncodingSniff['reason'];
  delimiter?: string;
  quoting?: boolean;
  header: boolean;
  sheets?: string[];
  sheet?: string;
  sizeBytes: number;
  columns: string[];
  /** The first data rows (up to the sample size), already consumed from the stream. */
  sample: Row[];
  /** Every data row in batches, the sample first. Can be iterated once. */
  rows(): AsyncGenerator<Row[]>;
  /** Bytes of the file consumed so far (an estimate for XLSX). */
  bytesRead(): number;
  /** The encoding the rows were read in: a UTF-8 guess may turn to Windows-1252 once the whole file is weighed. */
  currentEncoding(): TextEncoding;
  /** What the decoder has to report (invalid UTF-8 replaced, with lines; a switch to Windows-1252). */
  decodeNotes(): string[];
  /** Reader notes worth telling the user (e.g. JSON keys that appeared only after the sample), decoding included. */
  notes(): string[];
  close(): void;
}

export const HEAD_BYTES = 1 << 20;
export const DEFAULT_MAX_BYTES = 2 * 1024 ** 3;

export interface TableOptions extends ReadOptions {
  maxBytes?: number;
  sampleRows?: number;
}

export async function openTable(file: string, opts: TableOptions = {}): Promise<Table> {
  const sampleRows = opts.sampleRows ?? 2000;
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new TextbenchError(
      code === 'ENOENT' ? `${file} does not exist. Check the path.` : `${file} cannot be opened (${code ?? (err as Error).message}). Check the path and its permissions.`,
      'FILE_NOT_FOUND',
      { file },
    );
  }
  if (stat.isDirectory()) throw new TextbenchError(`${file} is a folder, not a file. Pick the file to import.`, 'NOT_A_FILE', { file });
  // A FIFO or device would block the read (or never end): only regular files are tables.
  if (!stat.isFile()) throw new TextbenchError(`${file} is not a regular file (a device, pipe or socket). Pick the file to import.`, 'NOT_A_FILE', { file });
  const limits = readLimits(opts.maxCellChars);
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  if (stat.size > maxBytes) {
    throw new TextbenchError(
      `${file} is ${formatBytes(stat.size)}, over the import limit of ${formatBytes(maxBytes)}. Split the file, or raise the limit (maxBytes / --max-bytes).`,
      'FILE_TOO_LARGE',
      { file, size: stat.size, maxBytes },
    );
  }
  if (stat.size === 0) throw emptyFile(file);
  const head = await readHead(file, HEAD_BYTES);
  const complete = head.length >= stat.size;

  if (opts.format === 'xlsx' || (!opts.format && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04)) {
    return openXlsx(file, stat.size, opts.sheet, sampleRows, limits);
  }
  let enc = sniffEncoding(file, head, opts.encoding);
  const state = newDecodeState(enc.encoding);
  if ((enc.reason === 'damaged-utf-8' || enc.reason === 'not-utf-8') && !complete) {
    // The head has invalid UTF-8: weigh the whole file before deciding how to read all of it.
    state.evidence = await utf8EvidenceOfFile(file, 0, 1);
    enc = looksUtf8(state.evidence) ? { encoding: 'utf-8', bomLength: 0, reason: 'damaged-utf-8' } : { encoding: 'windows-1252', bomLength: 0, reason: 'not-utf-8' };
    state.encoding = enc.encoding;
    if (enc.encoding === 'utf-8') state.evidence = { valid: 0, invalid: 0, invalidLines: 0 }; // counted again as it is decoded
  }
  const text = decodeSample(head, enc.encoding, enc.bomLength);
  if (complete && !text.trim()) throw emptyFile(file);
  const kind = sniffFormat(file, head, text, opts.format);
  // A file with a UTF-8 BOM, or judged on its whole evidence above, has its invalid bytes replaced; a file whose
  // head was clean is weighed again at its first invalid byte.
  const chunks = decodeFile(file, enc.bomLength, state, { strictUtf8: enc.reason === 'caller' && enc.encoding === 'utf-8', judged: enc.reason !== 'valid-utf-8' });
  if (enc.encoding === 'windows-1252' && enc.reason === 'not-utf-8' && complete) state.evidence = scanUtf8(head, 1);
  const base = {
    file,
    encoding: enc.encoding,
    encodingReason: enc.reason,
    sizeBytes: stat.size,
    bytesRead: () => state.bytes,
    currentEncoding: () => state.encoding,
    decodeNotes: () => decodeNotes(file, state),
  };

  if (kind === 'json' || kind === 'jsonl') {
    const records = kind === 'json' ? readJsonArray(file, chunks, limits) : readJsonLines(file, chunks, limits);
    return openKeyed({ ...base, format: kind }, records, sampleRows, limits);
  }
  const ext = path.extname(file).toLowerCase();
  const sample = wholeLines(text, complete);
  const delimiter = opts.delimiter ?? (opts.format === 'tsv' ? '\t' : sniffDelimiter(sample, ext));
  const quoting = sniffQuoting(sample, delimiter, complete);
  const records = readDelimited(file, chunks, { delimiter, quoting, limits });
  return openCells({ ...base, format: delimiter === '\t' ? 'tsv' : 'csv', delimiter, quoting }, records, sampleRows, opts.header, () => undefined);
}

function emptyFile(file: string): TextbenchError {
  return new TextbenchError(`${file} is empty. Pick a file with a header row and at least one row of data.`, 'EMPTY_FILE', { file });
}

export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${n} bytes`;
}

type Base = Pick<Table, 'file' | 'encoding' | 'encodingReason' | 'sizeBytes' | 'bytesRead' | 'currentEncoding' | 'decodeNotes'> & Partial<Pick<Table, 'delimiter' | 'quoting' | 'sheets' | 'sheet'>> & { format: ImportFormat };

/**
 * The sample is held in memory whole: it stops at `n` records or at this many characters, whichever comes
 * first (2,000 records of texts at the cell limit would otherwise be gigabytes).
 */
export const SAMPLE_CHARS = 32 * 1024 * 1024;

function recordChars(r: RawRecord): number {
  let n = 0;
  if (r.cells) for (const c of r.cells) n += c.length;
  else for (const v of r.values!.values()) n += v.length;
  return n;
}

/** Pulls batches until `n` records (or SAMPLE_CHARS characters) are in hand; returns them and the rest of the last batch. */
async function takeSample(records: AsyncGenerator<RawRecord[]>, n: number): Promise<{ head: RawRecord[]; extra: RawRecord[] }> {
  const got: RawRecord[] = [];
  let chars = 0;
  let cut = -1;
  while (got.length < n && cut < 0) {
    const r = await records.next();
    if (r.done) break;
    for (const x of r.value) {
      got.push(x);
      chars += recordChars(x);
      if (cut < 0 && chars > SAMPLE_CHARS) cut = got.length;
    }
  }
  const size = Math.min(n, cut < 0 ? got.length : Math.max(1, cut));
  return { head: got.slice(0, size), extra: got.slice(size) };
}

/** CSV, TSV and XLSX: decide whether the first record is a header, name the columns, and map the rest. */
async function openCells(base: Base, records: AsyncGenerator<RawRecord[]>, sampleRows: number, header: boolean | undefined, close: () => void): Promise<Table> {
  let taken: { head: RawRecord[]; extra: RawRecord[] };
  try {
    taken = await takeSample(records, sampleRows + 1);
  } catch (err) {
    close();
    throw err;
  }
  const cellRows = taken.head.map((r) => ({ line: r.line, cells: r.cells ?? [] }));
  if (!cellRows.length || cellRows.every((r) => r.cells.every((c) => !c.trim()))) {
    close();
    throw emptyFile(base.file);
  }
  const first = cellRows[0]!;
  const hasHeader = header ?? !looksLikeData(first.cells, cellRows.slice(1).map((r) => r.cells));
  const isXlsx = base.format === 'xlsx';
  const width = isXlsx ? Math.max(...cellRows.map((r) => r.cells.length)) : first.cells.length;
  const columns = hasHeader ? nameColumns(first.cells, width, isXlsx) : Array.from({ length: width }, (_, i) => (isXlsx ? columnLetter(i) : `column${i + 1}`));
  const dataRows = hasHeader ? cellRows.slice(1) : cellRows;
  if (!dataRows.length) {
    close();
    throw new TextbenchError(`${base.file} has a header row but no data rows. Add rows of text and label under the header.`, 'NO_ROWS', { file: base.file });
  }
  const sample = dataRows.slice(0, sampleRows);
  // Records already read beyond the sample.
  const pending: Row[] = [...dataRows.slice(sampleRows), ...taken.extra.map((r) => ({ line: r.line, cells: r.cells ?? [] }))];
  const pad = (cells: string[]): string[] => {
    if (!isXlsx || cells.length === columns.length) return cells;
    const c = cells.slice(0, columns.length);
    while (c.length < columns.length) c.push('');
    return c;
  };
  for (const r of sample) r.cells = pad(r.cells);
  for (const r of pending) r.cells = pad(r.cells);
  let used = false;
  async function* rows(): AsyncGenerator<Row[]> {
    if (used) throw new Error('Table.rows() can be iterated once.');
    used = true;
    try {
      if (sample.length) yield sample;
      if (pending.length) yield pending;
      for await (const batch of records) yield batch.map((r) => ({ line: r.line, cells: pad(r.cells ?? []) }));
    } finally {
      close();
    }
  }
  return {
    ...base,
    header: hasHeader,
    columns,
    sample,
    rows,
    notes: () => base.decodeNotes(),
    close: () => {
      void records.return(undefined);
      close();
    },
  };
}

/**
 * A first record that looks like data rather than names: one of its values recurs in the same column of the
 * following rows where that column repeats values (a label), or it is numeric where the column is numeric,
 * or it is as long as a sentence.
 */
export function looksLikeData(first: string[], rest: string[][]): boolean {
  if (!rest.length) return false;
  for (let j = 0; j < first.length; j++) {
    const v = first[j]!.trim();
    if (!v) continue;
    if (v.length > 100) return true;
    const col = rest.map((r) => (r[j] ?? '').trim()).filter((x) => x);
    if (!col.length) continue;
    const distinct = new Set(col);
    if (distinct.size < col.length && distinct.has(v)) return true;
    const numeric = (x: string) => x !== '' && Number.isFinite(Number(x));
    if (numeric(v) && col.every(numeric)) return true;
  }
  return false;
}

function nameColumns(cells: string[], width: number, lettersForBlank: boolean): string[] {
  const seen = new Map<string, number>();
  const out: string[] = [];
  for (let i = 0; i < width; i++) {
    let name = (cells[i] ?? '').normalize('NFC').trim();
    if (!name) name = lettersForBlank ? columnLetter(i) : `column${i + 1}`;
    const n = seen.get(name) ?? 0;
    seen.set(name, n + 1);
    out.push(n ? `${name}_${n + 1}` : name);
  }
  return out;
}

/** JSON and JSON Lines: the columns are the keys seen in the sample, in the order they first appear. */
async function openKeyed(base: Base, records: AsyncGenerator<RawRecord[]>, sampleRows: number, limits: ReadLimits): Promise<Table> {
  const { head, extra } = await takeSample(records, sampleRows);
  if (!head.length) {
    throw new TextbenchError(`${base.file} holds no records. Pick a file with at least one object.`, 'EMPTY_FILE', { file: base.file });
  }
  const columns: string[] = [];
  const known = new Set<string>();
  for (const r of head) {
    for (const k of r.values!.keys()) if (!known.has(k)) (known.add(k), columns.push(k));
    // Each record is within the limit, but their keys together could still make every row millions wide.
    if (columns.length > limits.maxColumns) throw tooManyColumns(base.file, r.line, `keys that make ${columns.length.toLocaleString('en-US')}`, limits.maxColumns);
  }
  const unknownKeys = new Map<string, number>();
  const toRow = (r: RawRecord): Row => {
    const v = r.values!;
    for (const k of v.keys()) if (!known.has(k)) unknownKeys.set(k, (unknownKeys.get(k) ?? 0) + 1);
    return { line: r.line, cells: columns.map((c) => v.get(c) ?? '') };
  };
  const sample = head.map(toRow);
  const pending = extra.map(toRow);
  let used = false;
  async function* rows(): AsyncGenerator<Row[]> {
    if (used) throw new Error('Table.rows() can be iterated once.');
    used = true;
    if (sample.length) yield sample;
    if (pending.length) yield pending;
    for await (const batch of records) yield batch.map(toRow);
  }
  return {
    ...base,
    header: true,
    columns,
    sample,
    rows,
    notes: () =>
      [...base.decodeNotes(), ...[...unknownKeys].map(([k, n]) => `Key "${k}" first appears after the first ${head.length} records (in ${n} records); it was not imported as a column.`)],
    close: () => void records.return(undefined),
  };
}

async function openXlsx(file: string, size: number, sheetName: string | undefined, sampleRows: number, limits: ReadLimits): Promise<Table> {
  const reader = await XlsxReader.open(file, limits);
  let sheet: { name: string; path: string };
  try {
    sheet = reader.pickSheet(sheetName);
  } catch (err) {
    reader.close();
    throw err;
  }
  const total = reader.sheetSize(sheet.path) || 1;
  let done = 0;
  const records = reader.rows(sheet.path, (n) => (done = n));
  const base: Base = {
    file,
    format: 'xlsx',
    encoding: 'utf-8',
    encodingReason: 'container',
    sizeBytes: size,
    bytesRead: () => Math.min(size, Math.round((done / total) * size)),
    currentEncoding: () => 'utf-8',
    decodeNotes: () => [],
    sheets: reader.sheets.map((s) => s.name),
    sheet: sheet.name,
  };
  return openCells(base, records, sampleRows, undefined, () => reader.close());
}
