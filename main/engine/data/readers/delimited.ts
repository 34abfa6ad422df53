import type { RawRecord } from './types.ts';
import { CsvParser } from './csv.ts';
import { DEFAULT_LIMITS, type ReadLimits } from './limits.ts';

export interface DelimitedOptions {
  delimiter: string;
  quoting: boolean;
  limits?: ReadLimits;
}

/**
 * Streams CSV/TSV records in batches (one per decoded chunk), each with the line it starts on; field-count
 * checks are the caller's.
 */
export async function* readDelimited(file: string, chunks: AsyncIterable<string>, opts: DelimitedOptions): AsyncGenerator<RawRecord[]> {
  const parser = new CsvParser(file, opts.delimiter, opts.quoting, opts.limits ?? DEFAULT_LIMITS);
  for await (const chunk of chunks) {
    const out: RawRecord[] = [];
    parser.push(chunk, out);
    if (out.length) yield out;
  }
  const out: RawRecord[] = [];
  parser.end(out);
  if (out.length) yield out;
}
