// Bounds every reader holds to, whatever the file holds: one cell (text), one record's columns, one JSON
// value's nesting. A file over a bound is refused with its line and the limit, never read into memory whole.
import { TextbenchError } from '../../errors.ts';

export interface ReadLimits {
  /** Longest cell, JSON Lines line or JSON array element, in characters. Users with long documents raise it. */
  maxCellChars: number;
  /** Most columns (fields of a record, keys of an object, XLSX column index + 1). */
  maxColumns: number;
  /** Deepest nesting of a JSON value inside one record. */
  maxDepth: number;
}

/**
 * 16 M characters: a quoted field over this is almost surely an unclosed quote swallowing the rest of the
 * file; a real text that long (a book) is far beyond any model's window. Raising it is allowed up to
 * MAX_CELL_CHARS_CEILING, under V8's longest string (2^29 - 24 characters), so that a raised limit still ends
 * in our message rather than in "Invalid string length".
 */
export const DEFAULT_MAX_CELL_CHARS = 16 * 1024 * 1024;
export const MAX_CELL_CHARS_CEILING = 256 * 1024 * 1024;
/** Excel's own limit (column XFD): every spreadsheet export fits, and a row can never be padded further. */
export const MAX_COLUMNS = 16_384;
/** Records are flat tables; 64 levels is far past any real export and far below V8's recursion limit. */
export const MAX_DEPTH = 64;

/** A record may hold this many maximal cells in all (a text and its label come nowhere near). */
export const RECORD_CELLS = 4;

export const DEFAULT_LIMITS: ReadLimits = { maxCellChars: DEFAULT_MAX_CELL_CHARS, maxColumns: MAX_COLUMNS, maxDepth: MAX_DEPTH };

/** The limits for a read, with the user's maxCellChars checked. */
export function readLimits(maxCellChars?: number): ReadLimits {
  if (maxCellChars === undefined) return DEFAULT_LIMITS;
  if (!Number.isInteger(maxCellChars) || maxCellChars < 1 || maxCellChars > MAX_CELL_CHARS_CEILING) {
    throw new TextbenchError(
      `The cell size limit must be a whole number of characters from 1 to ${MAX_CELL_CHARS_CEILING.toLocaleString('en-US')}; got ${maxCellChars}.`,
      'BAD_OPTION',
      { field: 'maxCellChars' },
    );
  }
  return { ...DEFAULT_LIMITS, maxCellChars };
}

function millions(n: number): string {
  return n >= 1024 * 1024 && n % (1024 * 1024) === 0 ? `${n / 1024 / 1024} M` : n.toLocaleString('en-US');
}

/** A cell, line or element longer than the limit. `what` names it ("one field", "the line", "element 3"). */
export function cellTooLong(file: string, line: number, what: string, limit: number, hint = ''): TextbenchError {
  return new TextbenchError(
    `${file}, line ${line}: ${what} is longer than ${millions(limit)} characters, the limit for one cell.${hint} ` +
      'If the text really is that long, raise the limit with --max-cell-chars N (maxCellChars); texts longer than a model reads are cut when it trains or classifies.',
    'CELL_TOO_LONG',
    { file, line, limit },
  );
}

/** A record whose cells together pass RECORD_CELLS times the cell limit. */
export function recordTooLong(file: string, line: number, limits: Pick<ReadLimits, 'maxCellChars'>): TextbenchError {
  return new TextbenchError(
    `${file}, line ${line}: the record is longer than ${millions(RECORD_CELLS * limits.maxCellChars)} characters, ${RECORD_CELLS} times the limit for one cell. ` +
      'Check the delimiter and the quotes on that line, or raise the limit with --max-cell-chars N (maxCellChars).',
    'RECORD_TOO_LONG',
    { file, line, limit: RECORD_CELLS * limits.maxCellChars },
  );
}

export function tooManyColumns(file: string, line: number, count: number | string, limit: number): TextbenchError {
  return new TextbenchError(
    `${file}, line ${line}: the record has ${count} columns; at most ${limit.toLocaleString('en-US')} are read (Excel's own limit). ` +
      'Check the delimiter (--delimiter) or remove the extra columns.',
    'TOO_MANY_COLUMNS',
    { file, line, limit },
  );
}

export function nestedTooDeep(file: string, line: number, limit: number): TextbenchError {
  return new TextbenchError(
    `${file}, line ${line}: a value is nested more than ${limit} levels deep. Each record must be a flat object such as {"text": "...", "label": "..."}.`,
    'JSON_TOO_DEEP',
    { file, line, limit },
  );
}
