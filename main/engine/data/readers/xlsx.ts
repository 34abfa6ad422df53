import yauzl from 'yauzl';
import type { Entry, ZipFile } from 'yauzl';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import type { Readable } from 'node:stream';
import { TextbenchError } from '../../errors.ts';
import type { RawRecord } from './types.ts';
import { DEFAULT_LIMITS, RECORD_CELLS, cellTooLong, recordTooLong, tooManyColumns, type ReadLimits } from './limits.ts';

/**
 * The shared-string table is held in memory (the sheet refers to it by index), so its XML part is refused
 * above this size before a byte is inflated; yauzl checks that an entry never inflates past its declared size.
 */
export const MAX_SHARED_STRINGS_BYTES = 512 * 1024 * 1024;

/**
 * XLSX without loading the workbook: yauzl gives random access to the zip's entries, saxes streams the
 * sheet XML row by row. Shared strings are read into memory first (the sheet refers to them by index).
 */
export class XlsxReader {
  private constructor(
    private readonly file: string,
    private readonly zip: ZipFile,
    private readonly entries: Map<string, Entry>,
    readonly sheets: { name: string; path: string }[],
    private readonly limits: ReadLimits = DEFAULT_LIMITS,
  ) {}

  static async open(file: string, limits: ReadLimits = DEFAULT_LIMITS): Promise<XlsxReader> {
    const zip = await new Promise<ZipFile>((resolve, reject) =>
      yauzl.open(file, { lazyEntries: true, autoClose: false }, (err, z) => (err || !z ? reject(badXlsx(file, err?.message ?? 'unreadable zip')) : resolve(z))),
    );
    try {
      const entries = await new Promise<Map<string, Entry>>((resolve, reject) => {
        const map = new Map<string, Entry>();
        zip.on('entry', (e: Entry) => {
          map.set(e.fileName, e);
          zip.readEntry();
        });
        zip.on('end', () => resolve(map));
        zip.on('error', (err: Error) => reject(badXlsx(file, err.message)));
        zip.readEntry();
      });
      const reader = new XlsxReader(file, zip, entries, [], limits);
      const sheets = await reader.readSheetList();
      return new XlsxReader(file, zip, entries, sheets, limits);
    } catch (err) {
      zip.close();
      throw err;
    }
  }

  close(): void {
    this.zip.close();
  }

  /** The uncompressed size of a sheet's XML, for progress. */
  sheetSize(sheetPath: string): number {
    return this.entries.get(sheetPath)?.uncompressedSize ?? 0;
  }

  pickSheet(name?: string): { name: string; path: string } {
    if (!this.sheets.length) throw badXlsx(this.file, 'the workbook has no sheets');
    if (name === undefined) return this.sheets[0]!;
    const s = this.sheets.find((x) => x.name === name) ?? this.sheets.find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (!s) {
      throw new TextbenchError(
        `${this.file} has no sheet named "${name}". Its sheets are: ${this.sheets.map((x) => `"${x.name}"`).join(', ')}. Pass one of them with --sheet.`,
        'XLSX_NO_SHEET',
        { file: this.file, sheet: name },
      );
    }
    return s;
  }

  private async stream(name: string): Promise<Readable> {
    const entry = this.entries.get(name);
    if (!entry) throw badXlsx(this.file, `missing part ${name}`);
    return new Promise<Readable>((resolve, reject) =>
      this.zip.openReadStream(entry, (err, s) => (err || !s ? reject(badXlsx(this.file, err?.message ?? `cannot read ${name}`)) : resolve(s))),
    );
  }

  /** Parses a whole (small) XML part, calling `onTag` for every opening tag. */
  private async parseSmall(name: string, onTag: (tag: SaxesTagPlain) => void): Promise<void> {
    this.refuseHuge(name, this.limits.maxCellChars);
    const parser = new SaxesParser();
    parser.on('opentag', onTag);
    parser.on('error', (e) => {
      throw badXlsx(this.file, `${name}: ${e.message}`);
    });
    const dec = new TextDecoder();
    for await (const chunk of await this.stream(name)) parser.write(dec.decode(chunk as Buffer, { stream: true }));
    parser.write(dec.decode());
    parser.close();
  }

  private async readSheetList(): Promise<{ name: string; path: string }[]> {
    const rels = new Map<string, string>();
    if (this.entries.has('xl/_rels/workbook.xml.rels')) {
      await this.parseSmall('xl/_rels/workbook.xml.rels', (t) => {
        if (t.name === 'Relationship') rels.set(String(t.attributes.Id), String(t.attributes.Target));
      });
    }
    const sheets: { name: string; path: string }[] = [];
    await this.parseSmall('xl/workbook.xml', (t) => {
      if (t.name !== 'sheet') return;
      const rid = String(t.attributes['r:id'] ?? '');
      let target = rels.get(rid) ?? `worksheets/sheet${sheets.length + 1}.xml`;
      target = target.startsWith('/') ? target.slice(1) : `xl/${target}`;
      sheets.push({ name: String(t.attributes.name ?? `Sheet${sheets.length + 1}`), path: target });
    });
    return sheets;
  }

  /** Refuses a part whose declared uncompressed size is over `max` bytes (a zip bomb, or a damaged zip). */
  private refuseHuge(name: string, max: number): void {
    const size = this.entries.get(name)?.uncompressedSize ?? 0;
    if (size > max) throw badXlsx(this.file, `its part ${name} unpacks to ${(size / 1024 / 1024).toFixed(0)} MB, over the ${(max / 1024 / 1024).toFixed(0)} MB that Textbench reads for it`);
  }

  private async sharedStrings(): Promise<string[]> {
    const name = [...this.entries.keys()].find((k) => k.toLowerCase() === 'xl/sharedstrings.xml');
    if (!name) return [];
    this.refuseHuge(name, MAX_SHARED_STRINGS_BYTES);
    const maxCell = this.limits.maxCellChars;
    const out: string[] = [];
    const parser = new SaxesParser();
    let cur: string[] | null = null;
    let curChars = 0;
    let inT = false;
    let inPhonetic = 0;
    parser.on('opentag', (t) => {
      if (t.name === 'si') {
        cur = [];
        curChars = 0;
      }
      else if (t.name === 'rPh') inPhonetic++;
      else if (t.name === 't' && !inPhonetic) inT = true;
    });
    parser.on('closetag', (t) => {
      if (t.name === 'si') {
        out.push((cur ?? []).join(''));
        cur = null;
      } else if (t.name === 'rPh') inPhonetic--;
      else if (t.name === 't') inT = false;
    });
    parser.on('text', (text) => {
      if (!inT || !cur) return;
      cur.push(text);
      curChars += text.length;
      if (curChars > maxCell) throw cellTooLong(this.file, 1, `shared string ${out.length + 1}`, maxCell);
    });
    parser.on('error', (e) => {
      throw badXlsx(this.file, `shared strings: ${e.message}`);
    });
    const dec = new TextDecoder();
    for await (const chunk of await this.stream(name)) {
      parser.write(dec.decode(chunk as Buffer, { stream: true }));
      this.checkPending(parser, 1, () => `shared string ${out.length + 1}`);
    }
    parser.write(dec.decode());
    parser.close();
    return out;
  }

  /**
   * saxes gathers a text node (or an attribute) whole before it hands it over, so a single huge one would
   * grow in its buffer unseen by our handlers: check that buffer after each chunk (at most 64 kB apart).
   */
  private checkPending(parser: SaxesParser, line: number, what: () => string): void {
    const pending = (parser as unknown as { text?: unknown }).text;
    if (typeof pending === 'string' && pending.length > this.limits.maxCellChars) throw cellTooLong(this.file, line, what(), this.limits.maxCellChars);
  }

  /** Rows of a sheet as cells (column A first), with the sheet's row number as `line`, in batches. */
  async *rows(sheetPath: string, progress: (uncompressedBytes: number) => void): AsyncGenerator<RawRecord[]> {
    const strings = await this.sharedStrings();
    const { maxCellChars, maxColumns } = this.limits;
    const parser = new SaxesParser();
    const ready: RawRecord[] = [];
    let rowNum = 0;
    let cells: string[] = [];
    let col = -1;
    let type = '';
    let value: string[] = [];
    let valueChars = 0;
    let rowChars = 0;
    let inValue = false;
    parser.on('opentag', (t) => {
      switch (t.name) {
        case 'row':
          rowNum = t.attributes.r ? Number(t.attributes.r) : rowNum + 1;
          cells = [];
          col = -1;
          rowChars = 0;
          break;
        case 'c': {
          const ref = t.attributes.r ? String(t.attributes.r) : '';
          col = ref ? columnIndex(ref) : col + 1;
          // A reference past the last column Excel has (XFD) would make the row padded out to it: refuse it.
          if (col >= maxColumns || col < 0) {
            throw tooManyColumns(this.file, rowNum, `a cell at ${ref.length > 24 ? `${ref.slice(0, 24)}…` : ref || `column ${col + 1}`}, past column ${columnLetter(maxColumns - 1)}, so more than ${maxColumns.toLocaleString('en-US')}`, maxColumns);
          }
          type = String(t.attributes.t ?? 'n');
          value = [];
          valueChars = 0;
          break;
        }
        case 'v':
        case 't':
          inValue = true;
          break;
      }
    });
    parser.on('text', (text) => {
      if (!inValue) return;
      value.push(text);
      valueChars += text.length;
      rowChars += text.length;
      if (valueChars > maxCellChars) throw cellTooLong(this.file, rowNum, `the cell ${columnLetter(col)}${rowNum}`, maxCellChars);
    });
    parser.on('closetag', (t) => {
      switch (t.name) {
        case 'v':
        case 't':
          inValue = false;
          break;
        case 'c': {
          const raw = value.join('');
          let v = raw;
          if (type === 's') {
            v = strings[Number(raw)] ?? '';
            rowChars += v.length;
          }
          else if (type === 'b') v = raw === '1' ? 'TRUE' : raw === '0' ? 'FALSE' : raw;
          if (rowChars > RECORD_CELLS * maxCellChars) throw recordTooLong(this.file, rowNum, this.limits);
          while (cells.length < col) cells.push('');
          cells[col] = v;
          break;
        }
        case 'row':
          ready.push({ line: rowNum, cells });
          break;
      }
    });
    parser.on('error', (e) => {
      throw badXlsx(this.file, `sheet XML near row ${rowNum}: ${e.message}`);
    });
    let done = 0;
    const dec = new TextDecoder();
    for await (const chunk of await this.stream(sheetPath)) {
      const buf = chunk as Buffer;
      done += buf.length;
      parser.write(dec.decode(buf, { stream: true }));
      this.checkPending(parser, rowNum, () => (col >= 0 ? `the cell ${columnLetter(col)}${rowNum}` : `the text near row ${rowNum}`));
      progress(done);
      if (ready.length) yield ready.splice(0, ready.length);
    }
    parser.write(dec.decode());
    parser.close();
    if (ready.length) yield ready.splice(0, ready.length);
  }
}

/**
 * "BC12" → 54 (zero-based column of the cell reference). Stops counting once past any real column, so an
 * absurd reference ("ABCDEFGHIJKLMN1") gives a number just past the limit instead of 26^14.
 */
export function columnIndex(ref: string): number {
  let n = 0;
  for (let i = 0; i < ref.length; i++) {
    const c = ref.charCodeAt(i);
    if (c < 65 || c > 90) break;
    n = n * 26 + (c - 64);
    if (n > 1e9) return 1e9;
  }
  return n - 1;
}

/** 0 → "A", 27 → "AB". */
export function columnLetter(index: number): string {
  let s = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

function badXlsx(file: string, why: string): TextbenchError {
  return new TextbenchError(`${file} could not be read as an Excel workbook (${why}). Open it in a spreadsheet program and save it again as .xlsx, or export it as CSV.`, 'BAD_XLSX', { file });
}
