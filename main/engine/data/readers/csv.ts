import { TextbenchError } from '../../errors.ts';
import type { RawRecord } from './types.ts';
import { DEFAULT_LIMITS, RECORD_CELLS, cellTooLong, recordTooLong, tooManyColumns, type ReadLimits } from './limits.ts';

const QUOTE = 34;
const LF = 10;
const CR = 13;

const enum Mode {
  FieldStart,
  Unquoted,
  Quoted,
  /** Just read a quote inside a quoted field: a second quote is a literal quote, else the field ends. */
  QuoteInQuoted,
}

/**
 * An incremental RFC 4180 parser: feed it decoded chunks, it appends every completed record with the line
 * it starts on. Records may span chunks (quoted fields with newlines); no chunk is ever re-scanned.
 * Quotes inside unquoted fields are kept as text; with `quoting` off, quotes are always text. Line breaks
 * are LF, CRLF or CR; empty lines are skipped. Written for speed: csv-parse's per-record bookkeeping cost
 * more than the rest of the import.
 */
export class CsvParser {
  private readonly delim: number;
  private mode = Mode.FieldStart;
  private fields: string[] = [];
  private parts: string[] = [];
  private partChars = 0;
  /** Characters of the current record so far: many big fields can exhaust memory as surely as one huge one. */
  private recordChars = 0;
  private line = 1;
  private recordLine = 1;
  private quoteLine = 1;
  /** The current record has a quoted field (so `""` alone on a line is a record, not an empty line). */
  private quotedInRecord = false;
  /** The previous chunk ended with CR: a LF at the start of the next one belongs to it. */
  private skipLf = false;

  constructor(
    private readonly file: string,
    delimiter: string,
    private readonly quoting: boolean,
    private readonly limits: Pick<ReadLimits, 'maxCellChars' | 'maxColumns'> = DEFAULT_LIMITS,
  ) {
    if (delimiter.length !== 1) throw new Error('delimiter must be one character');
    this.delim = delimiter.charCodeAt(0);
  }

  push(chunk: string, out: RawRecord[]): void {
    const n = chunk.length;
    const d = this.delim;
    let i = 0;
    if (this.skipLf) {
      this.skipLf = false;
      if (n && chunk.charCodeAt(0) === LF) i = 1;
    }
    // Start of the part of the current field that lies in this chunk.
    let start = i;
    while (i < n) {
      switch (this.mode) {
        case Mode.FieldStart: {
          const c = chunk.charCodeAt(i);
          if (c === QUOTE && this.quoting) {
            this.mode = Mode.Quoted;
            this.quoteLine = this.line;
            this.quotedInRecord = true;
            i++;
            start = i;
            continue;
          }
          this.mode = Mode.Unquoted;
          start = i;
          continue;
        }
        case Mode.Unquoted: {
          // Scan to the next delimiter or line break.
          let j = i;
          let c = 0;
          for (; j < n; j++) {
            c = chunk.charCodeAt(j);
            if (c === d || c === LF || c === CR) break;
          }
          if (j === n) {
            this.addPart(chunk.slice(start, n));
            i = n;
            break;
          }
          this.addPart(chunk.slice(start, j));
          this.endField();
          i = j + 1;
          if (c === d) {
            this.mode = Mode.FieldStart;
            start = i;
          } else {
            i = this.endLine(chunk, j, c, out);
            start = i;
          }
          continue;
        }
        case Mode.Quoted: {
          const q = chunk.indexOf('"', i);
          const end = q < 0 ? n : q;
          for (let k = chunk.indexOf('\n', i); k >= 0 && k < end; k = chunk.indexOf('\n', k + 1)) this.line++;
          if (q < 0) {
            this.addPart(chunk.slice(start, n));
            i = n;
            break;
          }
          this.addPart(chunk.slice(start, q));
          this.mode = Mode.QuoteInQuoted;
          i = q + 1;
          start = i;
          continue;
        }
        case Mode.QuoteInQuoted: {
          const c = chunk.charCodeAt(i);
          if (c === QUOTE) {
            this.addPart('"');
            this.mode = Mode.Quoted;
            i++;
            start = i;
            continue;
          }
          if (c === d) {
            this.endField();
            this.mode = Mode.FieldStart;
            i++;
            start = i;
            continue;
          }
          if (c === LF || c === CR) {
            this.endField();
            i = this.endLine(chunk, i, c, out);
            start = i;
            continue;
          }
          throw new TextbenchError(
            `${this.file}, line ${this.line}: text follows a closing quote inside a field. Double the quotes inside a quoted field ("" for "), or remove the stray quote.`,
            'CSV_BAD_QUOTE',
            { file: this.file, line: this.line },
          );
        }
      }
    }
  }

  /** Flushes the last record (a file need not end with a line break). */
  end(out: RawRecord[]): void {
    if (this.mode === Mode.Quoted) {
      throw new TextbenchError(
        `${this.file}, line ${this.quoteLine}: a quoted field is opened and never closed before the end of the file. Close the quote ("), or if quotes in this file are plain text, save it without quoting.`,
        'CSV_QUOTE_NOT_CLOSED',
        { file: this.file, line: this.quoteLine },
      );
    }
    if (this.mode === Mode.FieldStart && !this.fields.length) return;
    this.endField();
    this.endRecord(out);
  }

  private addPart(s: string): void {
    if (!s) return;
    this.parts.push(s);
    this.partChars += s.length;
    this.recordChars += s.length;
    if (this.recordChars > RECORD_CELLS * this.limits.maxCellChars) {
      throw recordTooLong(this.file, this.recordLine, this.limits);
    }
    if (this.partChars > this.limits.maxCellChars) {
      const quoted = this.mode === Mode.Quoted || this.mode === Mode.QuoteInQuoted;
      throw cellTooLong(this.file, quoted ? this.quoteLine : this.recordLine, 'one field', this.limits.maxCellChars, quoted ? ' A quote that is never closed usually causes this: check the quotes on that line.' : '');
    }
  }

  private endField(): void {
    const p = this.parts;
    this.fields.push(p.length === 0 ? '' : p.length === 1 ? p[0]! : p.join(''));
    this.parts = [];
    this.partChars = 0;
    if (this.fields.length > this.limits.maxColumns) throw tooManyColumns(this.file, this.recordLine, `more than ${this.limits.maxColumns.toLocaleString('en-US')}`, this.limits.maxColumns);
  }

  /** At a line break (`c` at index `j`): ends the record, counts the line; returns the index after the break. */
  private endLine(chunk: string, j: number, c: number, out: RawRecord[]): number {
    this.endRecord(out);
    this.line++;
    this.recordLine = this.line;
    this.mode = Mode.FieldStart;
    let next = j + 1;
    if (c === CR) {
      if (next < chunk.length) {
        if (chunk.charCodeAt(next) === LF) next++;
      } else this.skipLf = true;
    }
    return next;
  }

  private endRecord(out: RawRecord[]): void {
    const f = this.fields;
    const quoted = this.quotedInRecord;
    this.fields = [];
    this.recordChars = 0;
    this.quotedInRecord = false;
    // An empty line is one empty, unquoted field: skip it.
    if (f.length === 1 && f[0] === '' && !quoted) {
      this.recordLine = this.line + 1;
      return;
    }
    out.push({ line: this.recordLine, cells: f });
  }
}
