import { parse, CsvError } from 'csv-parse';
import { TextbenchError } from '../../errors.ts';
import type { RawRecord } from './types.ts';

export interface DelimitedOptions {
  delimiter: string;
  quoting: boolean;
}

interface InfoRecord {
  record: string[];
  info: { lines: number; empty_lines: number };
}

/**
 * Streams CSV/TSV records, in batches (one per decoded chunk), with the line each record starts on;
 * field-count checks are the caller's. Records are taken from csv-parse's synchronous 'data' events rather
 * than one `await` per record, which would cost more than the parsing itself.
 */
export async function* readDelimited(file: string, chunks: AsyncIterable<string>, opts: DelimitedOptions): AsyncGenerator<RawRecord[]> {
  const parser = parse({
    delimiter: opts.delimiter,
    quote: opts.quoting ? '"' : false,
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: true,
    info: true,
  });
  let batch: RawRecord[] = [];
  let prevLines = 0;
  let prevEmpty = 0;
  let failed: unknown = null;
  parser.on('data', (item: InfoRecord) => {
    const line = prevLines + 1 + (item.info.empty_lines - prevEmpty);
    prevLines = item.info.lines;
    prevEmpty = item.info.empty_lines;
    batch.push({ line, cells: item.record });
  });
  const ended = new Promise<void>((resolve) => {
    parser.on('error', (err) => {
      failed = err;
      resolve();
    });
    parser.on('end', () => resolve());
  });
  const check = (): void => {
    if (failed) throw failed instanceof CsvError ? csvError(file, failed) : failed;
  };
  try {
    for await (const chunk of chunks) {
      check();
      if (!parser.write(chunk)) await new Promise<void>((resolve) => parser.once('drain', () => resolve()));
      if (batch.length) {
        const out = batch;
        batch = [];
        yield out;
      }
    }
    parser.end();
    await ended;
    const out = batch;
    batch = [];
    if (out.length) yield out;
    check();
  } finally {
    parser.destroy();
  }
}

function csvError(file: string, err: CsvError): TextbenchError {
  const line = (err as unknown as { lines?: number }).lines;
  const where = line ? `${file}, line ${line}` : file;
  if (err.code === 'CSV_QUOTE_NOT_CLOSED') {
    return new TextbenchError(
      `${where}: a quoted field is opened and never closed before the end of the file. Close the quote ("), or if quotes in this file are plain text, save it without quoting.`,
      'CSV_QUOTE_NOT_CLOSED',
      { file, line },
    );
  }
  if (err.code === 'CSV_INVALID_CLOSING_QUOTE') {
    return new TextbenchError(
      `${where}: text follows a closing quote inside a field. Double quotes inside a quoted field ("" for "), or remove the stray quote.`,
      'CSV_BAD_QUOTE',
      { file, line },
    );
  }
  return new TextbenchError(`${where}: the file could not be read as CSV (${err.message}). Check that line, or save the file again as CSV.`, 'CSV_PARSE', { file, line, csvCode: err.code });
}
