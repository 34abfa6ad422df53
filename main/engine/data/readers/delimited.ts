import { Readable } from 'node:stream';
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

/** Streams CSV/TSV records with the line each one starts on; field-count checks are the caller's. */
export async function* readDelimited(file: string, chunks: AsyncIterable<string>, opts: DelimitedOptions): AsyncGenerator<RawRecord> {
  const parser = parse({
    delimiter: opts.delimiter,
    quote: opts.quoting ? '"' : false,
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: true,
    info: true,
  });
  const source = Readable.from(chunks, { objectMode: false });
  source.on('error', (err) => parser.destroy(err));
  source.pipe(parser);
  let prevLines = 0;
  let prevEmpty = 0;
  try {
    for await (const item of parser as AsyncIterable<InfoRecord>) {
      const line = prevLines + 1 + (item.info.empty_lines - prevEmpty);
      prevLines = item.info.lines;
      prevEmpty = item.info.empty_lines;
      yield { line, cells: item.record };
    }
  } catch (err) {
    if (err instanceof CsvError) throw csvError(file, err);
    throw err;
  } finally {
    source.destroy();
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
