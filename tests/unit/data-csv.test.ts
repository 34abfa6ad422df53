// The hand-written streaming CSV parser against csv-parse (the reference) on generated RFC 4180 files,
// cut into chunks at every size, plus the cases where it must report an error with the right line.
import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { CsvParser } from '../../main/engine/data/readers/csv.ts';
import type { RawRecord } from '../../main/engine/data/readers/types.ts';
import { seededRandom } from '../../main/engine/data/split.ts';
import { TextbenchError } from '../../main/engine/errors.ts';

function run(text: string, chunk: number, delimiter = ',', quoting = true): RawRecord[] {
  const p = new CsvParser('f.csv', delimiter, quoting);
  const out: RawRecord[] = [];
  for (let i = 0; i < text.length; i += chunk) p.push(text.slice(i, i + chunk), out);
  p.end(out);
  return out;
}

function reference(text: string, delimiter = ','): string[][] {
  return parse(text, { delimiter, relax_column_count: true, skip_empty_lines: true }) as string[][];
}

function randomCsv(seed: number, delimiter: string): string {
  const r = seededRandom(seed);
  const alphabet = ['a', 'b', ' ', 'é', '😀', '"', delimiter, '\n', '\r\n', 'x', 'y', 'z', ',', ';'];
  const field = () => {
    const len = Math.floor(r() * 12);
    let s = '';
    for (let i = 0; i < len; i++) s += alphabet[Math.floor(r() * alphabet.length)];
    return /["\r\n]/.test(s) || s.includes(delimiter) || s === '' ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const eol = r() < 0.5 ? '\n' : '\r\n';
  const lines: string[] = [];
  const width = 1 + Math.floor(r() * 4);
  const rows = 1 + Math.floor(r() * 30);
  for (let i = 0; i < rows; i++) {
    lines.push(Array.from({ length: width }, field).join(delimiter));
    if (r() < 0.1) lines.push('');
  }
  return lines.join(eol) + (r() < 0.7 ? eol : '');
}

describe('CsvParser', () => {
  it('matches csv-parse on 300 generated RFC 4180 files, at every chunk size', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const delimiter = [',', '\t', ';', '|'][seed % 4]!;
      const text = randomCsv(seed, delimiter);
      const expected = reference(text, delimiter);
      for (const chunk of [1, 2, 3, 5, 64, 1 << 20]) {
        expect(run(text, chunk, delimiter).map((x) => x.cells), `seed ${seed}, chunk ${chunk}`).toEqual(expected);
      }
    }
  });

  it('gives the line each record starts on, with LF, CRLF, lone CR, blank lines and multi-line fields', () => {
    const text = 'h1,h2\r\n\r\n"a\nb\nc",1\rlast,"x"\n\n';
    for (const chunk of [1, 2, 4, 100]) {
      expect(run(text, chunk).map((x) => [x.line, x.cells])).toEqual([
        [1, ['h1', 'h2']],
        [3, ['a\nb\nc', '1']],
        [6, ['last', 'x']],
      ]);
    }
  });

  it('keeps quotes inside unquoted fields; with quoting off every quote is text', () => {
    expect(run('5" screen,ok\n', 3).map((x) => x.cells)).toEqual([['5" screen', 'ok']]);
    expect(run('" lone quote\t1\nnext\t0\n', 2, '\t', false).map((x) => x.cells)).toEqual([
      ['" lone quote', '1'],
      ['next', '0'],
    ]);
    expect(run('a,\n,b\n', 1).map((x) => x.cells)).toEqual([
      ['a', ''],
      ['', 'b'],
    ]);
  });

  it('reports an unclosed quote at the line it opens, and text after a closing quote at its line', () => {
    const unclosed = () => run('a,b\nok,1\n"never closed,2\nmore,3\n', 4);
    expect(unclosed).toThrow(TextbenchError);
    expect(unclosed).toThrow(/line 3: a quoted field is opened and never closed/);
    expect(() => run('a,b\n"x"y,1\n', 3)).toThrow(/line 2: text follows a closing quote/);
  });
});
