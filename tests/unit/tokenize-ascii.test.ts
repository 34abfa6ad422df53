// The ASCII fast path of tokenizeWords gives exactly Intl.Segmenter's word-like segments (what every model's
// vocabulary was built from): on random ASCII strings weighted to the characters the word-boundary rules treat
// specially, on cases written out, and on the first 2,000 ASCII lines of every real dataset file, lowercased and as written.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { segmenterWords, tokenizeWords } from '../../main/engine/text/tokenize.ts';
import { seededRandom } from '../../main/engine/data/split.ts';

const DATASETS = path.resolve(import.meta.dirname, '../../../shared/datasets');

describe('tokenizeWords on ASCII text', () => {
  it('joins and splits words as Intl.Segmenter does (hand-picked cases)', () => {
    const cases = ["can't", 'e.g.', 'a:b', '3.14', '1,000', '1;2', 'a,b', '_', '__', 'a_', '_1', 'x_.y', "a'1", '1.a', "1'2", 'a\r\nb', 'a..b', ':a', 'a:'];
    for (const c of cases) expect(tokenizeWords(c, false), JSON.stringify(c)).toEqual(segmenterWords(c, false));
    expect(tokenizeWords("Don't stop: 3.14, e.g. x_1")).toEqual(["don't", 'stop', '3.14', 'e.g', 'x_1']);
  });

  it('matches Intl.Segmenter on 30,000 random ASCII strings', () => {
    const rand = seededRandom(7);
    const special = "aZ1_.,;:' \n\r";
    for (let k = 0; k < 30_000; k++) {
      const len = 1 + Math.floor(rand() * 16);
      let t = '';
      for (let j = 0; j < len; j++) t += rand() < 0.6 ? special[Math.floor(rand() * special.length)]! : String.fromCharCode(Math.floor(rand() * 128));
      const fast = tokenizeWords(t, false);
      const ref = segmenterWords(t, false);
      if (fast.join('\u0000') !== ref.join('\u0000')) expect(fast, JSON.stringify(t)).toEqual(ref);
    }
  });

  it('matches Intl.Segmenter on the first 2,000 ASCII lines of every dataset file', () => {
    let lines = 0;
    for (const dir of fs.readdirSync(DATASETS)) {
      for (const f of fs.readdirSync(path.join(DATASETS, dir))) {
        if (!/\.(csv|tsv)$/.test(f)) continue;
        let taken = 0;
        for (const line of fs.readFileSync(path.join(DATASETS, dir, f), 'utf8').split('\n')) {
          if (/[^\x00-\x7f]/.test(line)) continue;
          if (++taken > 2000) break;
          lines++;
          for (const lower of [true, false]) {
            const fast = tokenizeWords(line, lower);
            const ref = segmenterWords(line, lower);
            if (fast.join('\u0000') !== ref.join('\u0000')) expect(fast, line.slice(0, 200)).toEqual(ref);
          }
        }
      }
    }
    expect(lines).toBeGreaterThan(5_000);
  }, 60_000);
});
