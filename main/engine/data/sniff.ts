import path from 'node:path';
import { parse as parseSync } from 'csv-parse/sync';
import type { ImportFormat, TextEncoding } from '../../../shared/domain.ts';
import { TextbenchError } from '../errors.ts';
import { looksUtf8, scanUtf8 } from './decode.ts';

export interface EncodingSniff {
  encoding: TextEncoding;
  /** Bytes of byte-order mark to skip. */
  bomLength: number;
  /** How the encoding was decided, for warnings. */
  reason: 'bom' | 'valid-utf-8' | 'damaged-utf-8' | 'not-utf-8' | 'utf-16-pattern' | 'caller' | 'container';
}

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

export function isZip(head: Uint8Array): boolean {
  return ZIP_MAGIC.every((b, i) => head[i] === b);
}

const BINARY_SIGNATURES: { bytes: number[]; what: string }[] = [
  { bytes: [0x25, 0x50, 0x44, 0x46], what: 'a PDF document' },
  { bytes: [0x89, 0x50, 0x4e, 0x47], what: 'a PNG image' },
  { bytes: [0xff, 0xd8, 0xff], what: 'a JPEG image' },
  { bytes: [0x1f, 0x8b], what: 'a gzip archive' },
  { bytes: [0x53, 0x51, 0x4c, 0x69, 0x74, 0x65], what: 'an SQLite database' },
  { bytes: [0xd0, 0xcf, 0x11, 0xe0], what: 'an old Office (.xls/.doc) file' },
  { bytes: [0x7f, 0x45, 0x4c, 0x46], what: 'a program (ELF)' },
];

function binaryError(file: string, what: string, offset?: number): TextbenchError {
  return new TextbenchError(
    `${file} is not a text table: it looks like ${what}${offset !== undefined ? ` (first non-text byte at offset ${offset})` : ''}. ` +
      'Import a CSV, TSV, JSON, JSON Lines or XLSX file; export the data from its program to one of these first.',
    'BINARY_FILE',
    { file, offset },
  );
}

/**
 * Decides the encoding from the first bytes: a BOM wins; UTF-16 without BOM is recognised by its NUL pattern;
 * other NUL bytes or many control characters mean the file is not text; otherwise UTF-8 when the sample is
 * valid UTF-8, else Windows-1252. (A file valid at its start but not later is handled by the importer, which
 * restarts in Windows-1252.)
 */
export function sniffEncoding(file: string, head: Uint8Array, forced?: TextEncoding): EncodingSniff {
  const bom = bomOf(head);
  if (forced) {
    const bomLength = bom && bom.encoding === forced ? bom.length : 0;
    return { encoding: forced, bomLength, reason: 'caller' };
  }
  if (bom) return { encoding: bom.encoding, bomLength: bom.length, reason: 'bom' };
  for (const sig of BINARY_SIGNATURES) {
    if (sig.bytes.every((b, i) => head[i] === b)) throw binaryError(file, sig.what);
  }
  const n = Math.min(head.length, 1 << 16);
  let nulEven = 0;
  let nulOdd = 0;
  let control = 0;
  let firstControl = -1;
  for (let i = 0; i < n; i++) {
    const b = head[i]!;
    if (b === 0) {
      if (i % 2 === 0) nulEven++;
      else nulOdd++;
    } else if ((b < 0x20 && b !== 9 && b !== 10 && b !== 13 && b !== 12) || b === 0x7f) {
      control++;
      if (firstControl < 0) firstControl = i;
    }
  }
  const half = n / 2;
  if (n >= 4 && nulOdd > half * 0.3 && nulEven < nulOdd * 0.05) return { encoding: 'utf-16le', bomLength: 0, reason: 'utf-16-pattern' };
  if (n >= 4 && nulEven > half * 0.3 && nulOdd < nulEven * 0.05) return { encoding: 'utf-16be', bomLength: 0, reason: 'utf-16-pattern' };
  if (nulEven + nulOdd > 0) {
    const at = head.indexOf(0);
    throw binaryError(file, 'binary data (it contains NUL bytes)', at);
  }
  if (control > Math.max(2, n * 0.01)) throw binaryError(file, 'binary data (it is full of control characters)', firstControl);
  if (isValidUtf8Prefix(head)) return { encoding: 'utf-8', bomLength: 0, reason: 'valid-utf-8' };
  // Judged on the evidence (decode.ts looksUtf8): a UTF-8 file with a few damaged lines stays UTF-8, since
  // reading it as Windows-1252 would garble every accented character. The head is only a first look: the
  // table reader weighs the whole file when it is longer than the head.
  const e = scanUtf8(head, 1);
  return looksUtf8(e) ? { encoding: 'utf-8', bomLength: 0, reason: 'damaged-utf-8' } : { encoding: 'windows-1252', bomLength: 0, reason: 'not-utf-8' };
}

function bomOf(head: Uint8Array): { encoding: TextEncoding; length: number } | null {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: 'utf-8', length: 3 };
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le', length: 2 };
  if (head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf-16be', length: 2 };
  return null;
}

/** Valid UTF-8, allowing the sample to end in the middle of a multi-byte character. */
function isValidUtf8Prefix(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    // fatal: true reports invalid bytes only by throwing; that is the answer, not a failure.
    return false;
  }
}

export type SniffedFormat = ImportFormat | 'delimited';

/** The format from the caller, the file's magic bytes, its extension, then its first characters. */
export function sniffFormat(file: string, head: Uint8Array, firstText: string, forced?: ImportFormat): SniffedFormat {
  if (forced) return forced;
  if (isZip(head)) return 'xlsx';
  const ext = path.extname(file).toLowerCase();
  if (ext === '.xlsx' || ext === '.xlsm') {
    throw new TextbenchError(`${file} is named .xlsx but is not an Excel workbook (no zip signature). Save it again from the spreadsheet program as .xlsx, or rename it if it is CSV.`, 'BAD_XLSX', { file });
  }
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  const first = firstText.trimStart()[0];
  if (ext === '.json') return first === '{' ? 'jsonl' : 'json';
  if (ext === '.csv' || ext === '.tsv' || ext === '.tab' || ext === '.txt') return 'delimited';
  if (first === '[') return 'json';
  if (first === '{') return 'jsonl';
  return 'delimited';
}

const QUOTING_SAMPLE = 64 * 1024;

// Tab first: on a tie it wins, since texts often hold commas but rarely tabs.
export const DELIMITERS = ['\t', ',', ';', '|'] as const;

/** Cuts a decoded sample at its last line break so that no record is cut in half (unless there is none). */
export function wholeLines(sample: string, complete: boolean): string {
  if (complete) return sample;
  const cut = sample.lastIndexOf('\n');
  return cut > 0 ? sample.slice(0, cut + 1) : sample;
}

/**
 * Picks the delimiter whose count per record is the most consistent (at least one per record), counting
 * outside quotes and also naively per line (files whose quotes are not CSV quoting), keeping the better score.
 */
export function sniffDelimiter(sample: string, ext: string): string {
  const lines = sample.split(/\r?\n/).filter((l) => l.length > 0).slice(0, 200);
  const records = splitRecordsQuoteAware(sample, 200);
  let best: { d: string; score: number; mode: number } | null = null;
  for (const d of DELIMITERS) {
    for (const rows of [records, lines]) {
      const counts = rows.map((r) => countChar(r, d));
      const { mode, share } = modeOf(counts);
      if (mode < 1) continue;
      const score = share + (d === '\t' && ext === '.tsv' ? 0.05 : 0) + (d === ',' && ext === '.csv' ? 0.05 : 0);
      if (!best || score > best.score + 1e-9) best = { d, score, mode };
    }
  }
  if (best) return best.d;
  return ext === '.tsv' || ext === '.tab' ? '\t' : ',';
}

function countChar(s: string, ch: string): number {
  let n = 0;
  for (let i = s.indexOf(ch); i >= 0; i = s.indexOf(ch, i + 1)) n++;
  return n;
}

/** Records with the delimiters inside quoted fields blanked out, so that counting them counts separators only. */
function splitRecordsQuoteAware(sample: string, max: number): string[] {
  const out: string[] = [];
  let cur = '';
  let inQuote = false;
  for (let i = 0; i < sample.length && out.length < max; i++) {
    const c = sample[i]!;
    if (c === '"') {
      inQuote = !inQuote;
      continue;
    }
    if (inQuote) continue;
    if (c === '\n') {
      if (cur.replace(/\r$/, '').length) out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur.length && out.length < max) out.push(cur);
  return out;
}

function modeOf(values: number[]): { mode: number; share: number } {
  if (!values.length) return { mode: 0, share: 0 };
  const freq = new Map<number, number>();
  for (const v of values) freq.set(v, (freq.get(v) ?? 0) + 1);
  let mode = 0;
  let top = 0;
  for (const [v, f] of freq) if (f > top || (f === top && v > mode)) [mode, top] = [v, f];
  return { mode, share: top / values.length };
}

/**
 * Whether `"` quotes fields. CSV: always. TSV: only where the file needs it; parsing the sample both ways tells
 * files whose quotes are plain text (the raw UCI sentence files) from files written with quoting.
 */
export function sniffQuoting(fullSample: string, delimiter: string, fullComplete: boolean): boolean {
  if (!fullSample.includes('"')) return true;
  // 64 kB of whole lines is plenty to tell, and parsing it twice stays cheap.
  const complete = fullComplete && fullSample.length <= QUOTING_SAMPLE;
  const sample = complete ? fullSample : wholeLines(fullSample.slice(0, QUOTING_SAMPLE), false);
  const on = tryParse(sample, delimiter, true, complete);
  const off = tryParse(sample, delimiter, false, complete);
  if (delimiter === '\t') {
    // TSV writers rarely quote; quotes in TSV are usually text (the raw UCI sentence files). Keep quoting only
    // where the file needs it: reading without it breaks the table, or doubled quotes ("") show a quoting writer.
    if (!off.ok) return on.ok || on.records === -1;
    return /(^|\t)"[^"\t\n]*""/m.test(sample) && on.ok && on.records === off.records;
  }
  // CSV follows RFC 4180: quotes are quoting. A broken quote is reported with its line rather than guessed around.
  return true;
}

function tryParse(sample: string, delimiter: string, quote: boolean, complete: boolean): { ok: boolean; records: number } {
  try {
    const rows = parseSync(sample, {
      delimiter,
      quote: quote ? '"' : false,
      relax_quotes: true,
      relax_column_count: true,
      skip_empty_lines: true,
    }) as string[][];
    const { share } = modeOf(rows.map((r) => r.length));
    return { ok: share === 1 && rows.length > 0 && rows[0]!.length > 1, records: rows.length };
  } catch (err) {
    const code = (err as { code?: string }).code;
    // A sample cut mid-file may end inside a legitimately quoted multi-line field.
    if (!complete && code === 'CSV_QUOTE_NOT_CLOSED') return { ok: true, records: -1 };
    return { ok: false, records: 0 };
  }
}
