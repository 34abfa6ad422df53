import { describe, expect, it } from 'vitest';
import iconv from 'iconv-lite';
import { sniffDelimiter, sniffEncoding, sniffFormat, sniffQuoting, wholeLines } from '../../main/engine/data/sniff.ts';
import { looksLikeData } from '../../main/engine/data/table.ts';
import { guessColumns, splitOf } from '../../main/engine/data/guess.ts';
import { TextbenchError } from '../../main/engine/errors.ts';

const enc = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

describe('sniffEncoding', () => {
  it('reads BOMs', () => {
    expect(sniffEncoding('f', new Uint8Array([0xef, 0xbb, 0xbf, 0x61]))).toEqual({ encoding: 'utf-8', bomLength: 3, reason: 'bom' });
    expect(sniffEncoding('f', new Uint8Array([0xff, 0xfe, 0x61, 0]))).toMatchObject({ encoding: 'utf-16le', bomLength: 2 });
    expect(sniffEncoding('f', new Uint8Array([0xfe, 0xff, 0, 0x61]))).toMatchObject({ encoding: 'utf-16be', bomLength: 2 });
  });

  it('tells valid UTF-8 from Windows-1252, even with a multi-byte character cut at the end of the sample', () => {
    expect(sniffEncoding('f', enc('text,label\ncafé,a\n')).encoding).toBe('utf-8');
    const cut = enc('text,label\ncafé');
    expect(sniffEncoding('f', cut.subarray(0, cut.length - 1)).encoding).toBe('utf-8');
    expect(sniffEncoding('f', new Uint8Array(iconv.encode('text,label\ncafé crème,a\n', 'windows-1252'))).encoding).toBe('windows-1252');
  });

  it('takes mostly valid UTF-8 with a stray bad byte for damaged UTF-8, not Windows-1252', () => {
    const damaged = new Uint8Array(Buffer.concat([Buffer.from('café crème brûlée naïve '.repeat(5)), Buffer.from([0xff]), Buffer.from(' end')]));
    expect(sniffEncoding('f', damaged)).toMatchObject({ encoding: 'utf-8', reason: 'damaged-utf-8' });
    // Windows-1252 accents are lone high bytes: invalid as UTF-8.
    expect(sniffEncoding('f', new Uint8Array(iconv.encode('café crème brûlée naïve '.repeat(5), 'windows-1252')))).toMatchObject({ encoding: 'windows-1252' });
  });

  it('recognises UTF-16 without a BOM by its NUL pattern', () => {
    expect(sniffEncoding('f', new Uint8Array(iconv.encode('text,label\nhello,a\n', 'utf-16le'))).encoding).toBe('utf-16le');
    expect(sniffEncoding('f', new Uint8Array(iconv.encode('text,label\nhello,a\n', 'utf-16be'))).encoding).toBe('utf-16be');
  });

  it('refuses binary data, naming the offset', () => {
    const bytes = enc('text,label\nabc\u0000def\n');
    expect(() => sniffEncoding('data.csv', bytes)).toThrow(TextbenchError);
    expect(() => sniffEncoding('data.csv', bytes)).toThrow(/data\.csv .*NUL bytes.*offset 14/);
    expect(() => sniffEncoding('x.csv', new Uint8Array([0x25, 0x50, 0x44, 0x46, 0x2d]))).toThrow(/PDF/);
  });

  it('the caller can force an encoding (a matching BOM is still skipped)', () => {
    expect(sniffEncoding('f', new Uint8Array([0xef, 0xbb, 0xbf, 0x61]), 'utf-8')).toMatchObject({ encoding: 'utf-8', bomLength: 3, reason: 'caller' });
    expect(sniffEncoding('f', enc('abc'), 'windows-1252')).toMatchObject({ encoding: 'windows-1252', bomLength: 0 });
  });
});

describe('sniffFormat', () => {
  it('uses magic bytes, then the extension, then the first character', () => {
    expect(sniffFormat('a.csv', new Uint8Array([0x50, 0x4b, 3, 4]), '')).toBe('xlsx');
    expect(sniffFormat('a.json', enc('[{}]'), '[{}]')).toBe('json');
    expect(sniffFormat('a.json', enc('{"a":1}\n'), '{"a":1}\n')).toBe('jsonl');
    expect(sniffFormat('a.ndjson', enc('{}'), '{}')).toBe('jsonl');
    expect(sniffFormat('a.dat', enc('  [{}]'), '  [{}]')).toBe('json');
    expect(sniffFormat('a.txt', enc('a\tb'), 'a\tb')).toBe('delimited');
    expect(() => sniffFormat('a.xlsx', enc('a,b'), 'a,b')).toThrow(/not an Excel workbook/);
  });
});

describe('sniffDelimiter and sniffQuoting', () => {
  it('ignores delimiters inside quoted fields', () => {
    const csv = 'text,label\n"one; two; three",a\n"four; five",b\n"six; seven; eight; nine",a\n';
    expect(sniffDelimiter(csv, '.txt')).toBe(',');
    expect(sniffDelimiter('a;b;c\n1;2;3\n4;5;6\n', '.csv')).toBe(';');
    expect(sniffDelimiter('a|b\n1|2\n', '.txt')).toBe('|');
    expect(sniffDelimiter('a\tb, c\n1\t2, 3\n', '.txt')).toBe('\t');
  });

  it('turns quoting off for TSV whose quotes are text, keeps it for quoted TSV and for CSV', () => {
    const raw = '" A lone quote starts this\t1\nplain line\t0\nanother "quoted" word\t1\n';
    expect(sniffQuoting(raw, '\t', true)).toBe(false);
    const quoted = 'text\tlabel\n"a field with\ttab and ""quotes"""\t1\nplain\t0\n';
    expect(sniffQuoting(quoted, '\t', true)).toBe(true);
    expect(sniffQuoting('text,label\n"a, b",1\n', ',', true)).toBe(true);
    expect(sniffQuoting('no quotes\there\n', '\t', true)).toBe(true);
  });

  it('wholeLines cuts a partial sample at its last line break', () => {
    expect(wholeLines('a\nb\nc', false)).toBe('a\nb\n');
    expect(wholeLines('a\nb\nc', true)).toBe('a\nb\nc');
  });
});

describe('header detection', () => {
  it('sees a data row where a value repeats in a label-like column or numbers fill a numeric column', () => {
    expect(looksLikeData(['Great phone', '1'], [['Bad battery', '0'], ['Love it', '1'], ['Meh', '0']])).toBe(true);
    expect(looksLikeData(['text', 'label'], [['Bad battery', 'neg'], ['Love it', 'pos'], ['Meh', 'neg']])).toBe(false);
    expect(looksLikeData(['sentence', 'score'], [['x', '0.5'], ['y', '2']])).toBe(false);
    expect(looksLikeData(['a sentence', '3'], [['x', '0.5'], ['y', '2']])).toBe(true);
    expect(looksLikeData(['text', 'label'], [])).toBe(false);
  });
});

describe('guessColumns', () => {
  const row = (line: number, cells: string[]) => ({ line, cells });

  it('text = longest values, label = few distinct short values, split by name and values', () => {
    const rows = Array.from({ length: 40 }, (_, i) =>
      row(i + 2, [`${i}`, `This is a fairly long description of item ${i} with words`, `Occupation ${i % 17}`, i % 3 ? 'Sales' : 'Legal', i % 5 ? 'train' : 'TEST']),
    );
    expect(guessColumns(['id', 'description', 'occupation', 'group', 'fold'], rows)).toEqual({
      textColumns: ['description'],
      labelColumn: 'group',
      splitColumn: 'fold',
    });
  });

  it('a label-like name breaks ties; a second long column joins the text', () => {
    const rows = Array.from({ length: 30 }, (_, i) =>
      row(i + 2, [`A title that is long enough number ${i}`, `The body of the text, somewhat longer than its title, number ${i}`, `${i % 2}`, `c${i % 2}`]),
    );
    const g = guessColumns(['title', 'body', 'x', 'sentiment'], rows);
    expect(g.textColumns).toEqual(['body', 'title']);
    expect(g.labelColumn).toBe('sentiment');
  });

  it('finds no label in a single-column file', () => {
    expect(guessColumns(['text'], [row(2, ['abc def']), row(3, ['ghi jkl'])]).labelColumn).toBeNull();
  });

  it('splitOf knows the synonyms in any case', () => {
    expect(['Train', 'TRAINING', 'val', 'Valid', 'dev', 'validation', 'Test', 'testing'].map(splitOf)).toEqual([
      'train',
      'train',
      'validation',
      'validation',
      'validation',
      'validation',
      'test',
      'test',
    ]);
    expect(splitOf('holdout')).toBeNull();
  });
});
