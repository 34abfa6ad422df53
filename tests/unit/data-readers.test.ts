import { describe, expect, it } from 'vitest';
import { readJsonArray, readJsonLines } from '../../main/engine/data/readers/json.ts';
import { readDelimited } from '../../main/engine/data/readers/delimited.ts';
import type { RawRecord } from '../../main/engine/data/readers/types.ts';
import { columnIndex, columnLetter } from '../../main/engine/data/readers/xlsx.ts';
import { ImportProgress } from '../../main/engine/data/progress.ts';
import { carveFromTrain, seededRandom, stratifiedSplit, TEST, TRAIN, VALIDATION } from '../../main/engine/data/split.ts';
import { cleanCell, contentHash, hasNoContent, joinTextCells, normaliseText, wordCount } from '../../main/engine/text/cells.ts';
import type { WorkbenchEvent } from '../../shared/events.ts';

async function* chunksOf(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

async function all(gen: AsyncGenerator<RawRecord[]>): Promise<RawRecord[]> {
  const out: RawRecord[] = [];
  for await (const batch of gen) out.push(...batch);
  return out;
}

describe('streaming JSON array reader', () => {
  const objects = [
    { text: 'braces } and ] inside "strings"', label: 'a' },
    { text: 'escaped \\" quote and \\\\ backslash', label: 'b', nested: { x: [1, { y: '}' }] } },
    { text: 'unicode é ✓ 😀', label: 1, flag: true, none: null },
  ];
  const json = `[\n  ${objects.map((o) => JSON.stringify(o)).join(',\n  ')}\n]\n`;

  it('gives the same records whatever the chunk size (elements split at every position)', async () => {
    const expected = await all(readJsonArray('f.json', chunksOf(json, json.length)));
    expect(expected.map((r) => r.line)).toEqual([2, 3, 4]);
    expect(Object.fromEntries(expected[2]!.values!)).toEqual({ text: 'unicode é ✓ 😀', label: '1', flag: 'true', none: '' });
    expect(expected[1]!.values!.get('nested')).toBe('{"x":[1,{"y":"}"}]}');
    for (const size of [1, 2, 3, 7, 16]) {
      const got = await all(readJsonArray('f.json', chunksOf(json, size)));
      expect(got.map((r) => [r.line, Object.fromEntries(r.values!)])).toEqual(expected.map((r) => [r.line, Object.fromEntries(r.values!)]));
    }
  });

  it('accepts an empty array and refuses what is not an array of objects', async () => {
    expect(await all(readJsonArray('f.json', chunksOf('[ ]', 1)))).toEqual([]);
    await expect(all(readJsonArray('f.json', chunksOf('[1, 2]', 4)))).rejects.toThrow(/element 1 is not an object/);
    await expect(all(readJsonArray('f.json', chunksOf('[{"a": 1}] x', 4)))).rejects.toThrow(/after the closing \]/);
  });

  it('JSON Lines: one object per line, lines counted, blank lines skipped', async () => {
    const got = await all(readJsonLines('f.jsonl', chunksOf('{"a":"x"}\n\n{"a":"y"}\r\n{"a":"z"}', 5)));
    expect(got.map((r) => [r.line, r.values!.get('a')])).toEqual([
      [1, 'x'],
      [3, 'y'],
      [4, 'z'],
    ]);
    await expect(all(readJsonLines('f.jsonl', chunksOf('{"a":1}\n[1]\n', 3)))).rejects.toThrow(/line 2: the line is not an object/);
  });
});

describe('delimited reader', () => {
  it('reports the line each record starts on, across blank lines and multi-line fields, in any chunking', async () => {
    const csv = 'a,b\n\n"x\ny",1\nz,2\n\n\nw,3\n';
    for (const size of [1, 3, 100]) {
      const got = await all(readDelimited('f.csv', chunksOf(csv, size), { delimiter: ',', quoting: true }));
      expect(got.map((r) => [r.line, r.cells])).toEqual([
        [1, ['a', 'b']],
        [3, ['x\ny', '1']],
        [5, ['z', '2']],
        [8, ['w', '3']],
      ]);
    }
  });
});

describe('xlsx cell references', () => {
  it('maps letters to column indexes and back', () => {
    expect(['A1', 'B7', 'Z3', 'AA10', 'AB2', 'ZZ1', 'AAA1'].map(columnIndex)).toEqual([0, 1, 25, 26, 27, 701, 702]);
    expect([0, 25, 26, 701, 702].map(columnLetter)).toEqual(['A', 'Z', 'AA', 'ZZ', 'AAA']);
  });
});

describe('import progress', () => {
  it('throttles to one event per interval, never goes back, and always ends at the total', () => {
    const events: WorkbenchEvent[] = [];
    let now = 0;
    const p = new ImportProgress((e) => events.push(e), 1000, 'prj-1', 100, () => now);
    p.update(100);
    now = 50;
    p.update(200); // too soon
    now = 150;
    p.update(90); // backwards
    now = 300;
    p.update(600);
    now = 450;
    p.update(1000); // the total is only sent by finish()
    p.finish();
    p.finish();
    p.update(1200);
    expect(events.map((e) => (e as { done: number }).done)).toEqual([100, 600, 1000]);
    expect(events[0]).toEqual({ type: 'import.progress', task: 'import', done: 100, total: 1000, unit: 'bytes', projectId: 'prj-1' });
  });
});

describe('splits', () => {
  it('stratifies 80/10/10 per label and is reproducible with the same seed', () => {
    const labels = [...Array(100).fill(0), ...Array(50).fill(1), ...Array(3).fill(2)];
    const a = stratifiedSplit(labels, 42);
    expect(Array.from(a)).toEqual(Array.from(stratifiedSplit(labels, 42)));
    expect(Array.from(a)).not.toEqual(Array.from(stratifiedSplit(labels, 43)));
    const count = (label: number, split: number) => labels.filter((l, i) => l === label && a[i] === split).length;
    expect([count(0, TRAIN), count(0, VALIDATION), count(0, TEST)]).toEqual([80, 10, 10]);
    expect([count(1, TRAIN), count(1, VALIDATION), count(1, TEST)]).toEqual([40, 5, 5]);
    expect([count(2, TRAIN), count(2, VALIDATION), count(2, TEST)]).toEqual([3, 0, 0]);
  });

  it('carves validation out of train per label when a file has only train and test', () => {
    const labels = [...Array(60).fill(0), ...Array(40).fill(1)];
    const splits = new Uint8Array(labels.map((_, i) => (i % 5 === 0 ? TEST : TRAIN)));
    const moved = carveFromTrain(labels, splits, 1);
    expect(moved).toEqual({ validation: 8, test: 0 });
    expect(labels.filter((l, i) => l === 0 && splits[i] === VALIDATION)).toHaveLength(5);
    expect(splits.filter((s) => s === TEST)).toHaveLength(20);
  });

  it('seededRandom is deterministic and in [0, 1)', () => {
    const r = seededRandom(5);
    const xs = Array.from({ length: 1000 }, r);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(xs.slice(0, 3)).toEqual(Array.from({ length: 3 }, seededRandom(5)));
  });
});

describe('text helpers', () => {
  it('normalises to NFC, collapses whitespace for the hash, counts words', () => {
    expect(cleanCell('  Cafe\u0301  ')).toBe('Caf\u00e9');
    expect(normaliseText(' a \t b\n\nc ')).toBe('a b c');
    expect(contentHash('Caf\u00e9  au lait')).toBe(contentHash('Cafe\u0301 au\nlait'));
    expect(contentHash('Great')).not.toBe(contentHash('great'));
    expect(wordCount('  one two\tthree\u00a0four ')).toBe(4);
    expect(wordCount('')).toBe(0);
    expect(hasNoContent('... !!! ---')).toBe(true);
    expect(hasNoContent('ok.')).toBe(false);
    expect(hasNoContent('42')).toBe(false);
  });

  it("joins a row's text cells and hashes them as cleanCell + join + contentHash do, on plain and awkward cells", () => {
    // What the importer did before joinTextCells: clean each cell, drop empty ones, join with a line break, hash.
    const reference = (cells: string[], columns: number[]) => {
      const text = columns
        .map((i) => cleanCell(cells[i] ?? ''))
        .filter((v) => v)
        .join('\n');
      return { text, hash: text ? contentHash(text) : '' };
    };
    // Pieces that take each path: plain words, edge and double spaces, tabs and line breaks, no-break and
    // ideographic spaces, a combining accent (NFC joins it to the letter before, even across a cell's trimmed
    // edge), a lone combining mark starting a cell, control and non-ASCII characters, an empty piece.
    const pieces = ['word', 'Two words', ' ', '  ', '\t', '\n', '\r\n', '\u00a0', '\u3000', 'e\u0301', '\u0301x', '\u00e9', '\u0001', '\u7a7a', '"q"', ',', '', '\u2028'];
    const random = seededRandom(7);
    const pick = () => pieces[Math.floor(random() * pieces.length)]!;
    let plain = 0;
    for (let k = 0; k < 3000; k++) {
      const width = 1 + Math.floor(random() * 4);
      const cells = Array.from({ length: width }, () => Array.from({ length: Math.floor(random() * 6) }, pick).join(random() < 0.5 ? ' ' : ''));
      const columns = Array.from({ length: 1 + Math.floor(random() * width) }, () => Math.floor(random() * (width + 1)));
      const got = joinTextCells(cells, columns);
      expect(got, JSON.stringify({ cells, columns })).toEqual(reference(cells, columns));
      plain += cells.filter((c) => /^[!-~]+( [!-~]+)*$/.test(c)).length;
    }
    // Both paths ran (plain cells take the one-scan path).
    expect(plain).toBeGreaterThan(300);
    expect(joinTextCells(['Role 7', 'Operate a forklift.'], [0, 1])).toEqual({ text: 'Role 7\nOperate a forklift.', hash: contentHash('Role 7\nOperate a forklift.') });
    expect(joinTextCells(['  ', '\t'], [0, 1])).toEqual({ text: '', hash: '' });
  });
});
