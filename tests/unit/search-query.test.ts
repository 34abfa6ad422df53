// The Data view's search box as an FTS5 query, and that query against a real index: words in any order, word
// beginnings, punctuation and FTS syntax taken as plain text, diacritics folded.
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { exactText, ftsQuery, searchWords } from '../../main/engine/store/search.ts';

describe('search as a full-text query', () => {
  it('quotes every word and matches word beginnings; a one-letter last word waits for its next letter', () => {
    expect(ftsQuery('nurs')).toBe('"nurs"*');
    expect(ftsQuery('  nursing   care ')).toBe('"nursing"* AND "care"*');
    expect(ftsQuery('nursing c')).toBe('"nursing"*');
    expect(ftsQuery('nursing c ')).toBe('"nursing"* AND "c"');
    expect(ftsQuery('c')).toBe('"c"');
    expect(ftsQuery('AND OR NEAR "xy')).toBe('"AND"* AND "OR"* AND "NEAR"* AND "xy"*');
    expect(ftsQuery('?!  #')).toBeNull();
    expect(searchWords('C++ and résumé-writing')).toEqual(['C', 'and', 'résumé', 'writing']);
    // Punctuation and symbols are looked for as written, besides the words.
    expect(exactText('n°3,')).toBe('n°3,');
    expect(exactText('"nursing care"')).toBeNull();
    expect(exactText(' nursing  care ')).toBeNull();
    expect(exactText('C++')).toBe('C++');
  });

  it('finds what a person means in a real FTS5 index, and never fails on odd input', () => {
    const db = new Database(':memory:');
    db.exec(`CREATE VIRTUAL TABLE t USING fts5(text, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')`);
    const texts = ['Plan nursing care for patients.', 'Write a résumé for the applicant.', 'Care for the patients at night.', 'Nurses AND doctors: "triage"'];
    const insert = db.prepare('INSERT INTO t (rowid, text) VALUES (?, ?)');
    texts.forEach((t, i) => insert.run(i + 1, t));
    const find = (q: string) => (db.prepare('SELECT rowid AS id FROM t WHERE t MATCH ? ORDER BY rowid').all(ftsQuery(q)!) as { id: number }[]).map((r) => r.id);
    expect(find('nurs')).toEqual([1, 4]);
    expect(find('care patients')).toEqual([1, 3]);
    expect(find('patients care')).toEqual([1, 3]);
    expect(find('resume')).toEqual([2]);
    expect(find('and "triage')).toEqual([4]);
    expect(find('NEAR(')).toEqual([]);
    db.close();
  });
});
