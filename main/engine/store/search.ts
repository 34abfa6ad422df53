// The Data view's search box as a full-text query: every word the user typed must occur, the last one (still
// being typed) as the beginning of a word. "nurs" finds "nursing" and "nurse"; "nursing care" finds texts with
// both words in any order. Text without a letter or digit falls back to a plain substring match.
import type { Statement } from 'better-sqlite3';
import type { Db } from './db.ts';
import { openDatabase } from './native.ts';

/** Words as the index tokenises them (letters and digits; everything else separates). */
export function searchWords(input: string): string[] {
  return input.normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * The FTS5 MATCH expression for a search, or null when the input has no word to look for. Each word is quoted
 * (so "AND", "NEAR" or a stray '"' are words, not syntax) and matches as the beginning of a word ("nurs" →
 * "nursing"). A single letter is not a beginning worth matching: as one types "nursing c", every word starting
 * with c would match (165,000 of 240,000 rows) for a moment that tells the user nothing, so a last one-letter
 * word waits for its second letter, and a lone letter matches only itself.
 */
export function ftsQuery(input: string): string | null {
  const terms = searchTerms(input);
  if (!terms) return null;
  return terms.map((t) => `"${t.word.replace(/"/g, '""')}"${t.prefix ? '*' : ''}`).join(' AND ');
}

/** One word of a search: every one must occur, as a whole word or (prefix) as the beginning of one. */
export interface SearchTerm {
  word: string;
  prefix: boolean;
}

/** The words of a search and how each matches (ftsQuery's rules), or null when it has no word to look for. */
export function searchTerms(input: string): SearchTerm[] | null {
  let words = searchWords(input);
  const short = (w: string) => [...w].length < 2;
  if (words.length > 1 && short(words[words.length - 1]!) && !/\s$/.test(input)) words = words.slice(0, -1);
  if (!words.length) return null;
  return words.map((word) => ({ word, prefix: !short(word) }));
}

/**
 * The literal text a search must also contain, when it has more than words: "n°3," or "C++" or "e-mail" mean
 * those characters, which the word index cannot see (it only narrows the rows down to those with the words).
 * Double quotes are taken as the user's way of grouping, not as text. Null for a search of plain words.
 */
export function exactText(input: string): string | null {
  const text = input.replace(/"/g, '').trim();
  return /[^\p{L}\p{N}\s]/u.test(text) ? text : null;
}

// ---- The same search without the index: rows still waiting to be indexed (fts-backlog.ts) are matched by
// textbench_search_match(text, terms), which must find exactly what MATCH would find once they are indexed.
// It tokenises as FTS5's unicode61 tokenizer with remove_diacritics 2 does: one code point at a time, each either
// a separator or a token character that folds to one code point (or to none: a combining accent). JavaScript's
// own case folding and Unicode tables differ from SQLite's in hundreds of places (Greek and Cyrillic accents stay,
// "ſ" folds to "s", code points unassigned in Unicode 6.1 are token characters), so the fold of each code point is
// learned from SQLite itself, the first time it is seen, through a one-row FTS5 table in memory.

const UNKNOWN = -2;
const SEPARATOR = -1;
const DROPPED = 0;

class Unicode61Fold {
  private readonly bmp = new Int32Array(0x10000).fill(UNKNOWN);
  private readonly astral = new Map<number, number>();
  private readonly probe: Db;
  private readonly put: Statement;
  private readonly terms: Statement;
  private readonly clear: Statement;
  /** ASCII text folds by a regular expression (true once SQLite agreed on all 128 code points). */
  readonly asciiFast: boolean;

  constructor() {
    this.probe = openDatabase(':memory:');
    this.probe.exec(`CREATE VIRTUAL TABLE p USING fts5(text, tokenize = '${TOKENIZER}'); CREATE VIRTUAL TABLE p_terms USING fts5vocab(p, 'instance');`);
    this.put = this.probe.prepare('INSERT INTO p (rowid, text) VALUES (?, ?)');
    this.terms = this.probe.prepare('SELECT doc, term FROM p_terms ORDER BY doc, offset');
    this.clear = this.probe.prepare('DELETE FROM p');
    const first: number[] = [];
    for (let cp = 0; cp < 0x250; cp++) first.push(cp);
    this.learn(first);
    let same = true;
    for (let cp = 0; cp < 128; cp++) {
      const c = String.fromCharCode(cp);
      const expected = /[A-Za-z0-9]/.test(c) ? c.toLowerCase().charCodeAt(0) : SEPARATOR;
      if (this.bmp[cp] !== expected) same = false;
    }
    this.asciiFast = same;
  }

  /** Asks SQLite how it tokenises each code point, between two letters: "a" + c + "b". */
  private learn(cps: readonly number[]): void {
    this.probe.transaction(() => {
      for (const cp of cps) this.put.run(cp + 1, `a${cp === 0 ? '' : String.fromCodePoint(cp)}b`);
      const seen = new Map<number, string[]>();
      for (const r of this.terms.iterate() as IterableIterator<{ doc: number; term: string }>) (seen.get(r.doc) ?? seen.set(r.doc, []).get(r.doc)!).push(r.term);
      for (const cp of cps) {
        const t = seen.get(cp + 1) ?? [];
        // NUL ends the text in C: "a" alone, a separator for our purposes.
        const fold = cp === 0 || t.length !== 1 ? SEPARATOR : t[0]!.length === 2 ? DROPPED : t[0]!.slice(1, -1).codePointAt(0)!;
        if (cp < 0x10000) this.bmp[cp] = fold;
        else this.astral.set(cp, fold);
      }
      this.clear.run();
    })();
  }

  private of(cp: number): number {
    const f = cp < 0x10000 ? this.bmp[cp]! : (this.astral.get(cp) ?? UNKNOWN);
    if (f !== UNKNOWN) return f;
    this.learn([cp]);
    return this.of(cp);
  }

  /** The tokens of `text` as the index holds them, each preceded by one space: " plan nursing care". */
  fold(text: string): string {
    if (this.asciiFast && ASCII.test(text)) return ` ${text.replace(ASCII_SEPARATORS, ' ').toLowerCase()}`;
    let out = ' ';
    for (let i = 0; i < text.length; ) {
      const cp = text.codePointAt(i)!;
      i += cp > 0xffff ? 2 : 1;
      const f = this.of(cp);
      if (f === SEPARATOR) {
        if (out.charCodeAt(out.length - 1) !== 32) out += ' ';
      } else if (f !== DROPPED) out += String.fromCodePoint(f);
    }
    return out;
  }
}

const TOKENIZER = 'unicode61 remove_diacritics 2';
const ASCII = /^[\x00-\x7f]*$/;
const ASCII_SEPARATORS = /[^A-Za-z0-9]+/g;

let shared: Unicode61Fold | undefined;
function unicode61(): Unicode61Fold {
  shared ??= new Unicode61Fold();
  return shared;
}

/** Folds text as the full-text index does: its tokens, lower-case and without accents, each after one space. */
export function foldForSearch(text: string): string {
  return unicode61().fold(text);
}

/**
 * Whether a text matches every term, by the rules of the FTS5 query ftsQuery() makes: a term is a phrase of the
 * tokens of its word (usually one), all of them whole tokens except the last of a prefix term, which begins one.
 * A word that has no token for the index (only characters it takes for separators) matches nothing, as in FTS5.
 */
export function searchMatcher(terms: readonly SearchTerm[]): (text: string) => boolean {
  const fold = unicode61();
  const patterns: RegExp[] = [];
  // ASCII text (most text, and 5x faster so): the tokens are its runs of ASCII letters and digits, any case.
  const asciiPatterns: RegExp[] | null = fold.asciiFast ? [] : null;
  for (const t of terms) {
    const tokens = fold.fold(t.word).split(' ').filter(Boolean);
    if (!tokens.length) return () => false;
    const escaped = tokens.map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    patterns.push(new RegExp(` ${escaped.join(' ')}${t.prefix ? '' : '(?= |$)'}`, 'u'));
    if (asciiPatterns && tokens.every((x) => /^[a-z0-9]+$/.test(x))) asciiPatterns.push(new RegExp(`(?:^|[^A-Za-z0-9])${tokens.join('[^A-Za-z0-9]+')}${t.prefix ? '' : '(?![A-Za-z0-9])'}`, 'i'));
    // A word with a token beyond ASCII never occurs in ASCII text.
    else if (asciiPatterns) asciiPatterns.push(/(?!)/);
  }
  return (text) => {
    if (asciiPatterns && ASCII.test(text)) return asciiPatterns.every((p) => p.test(text));
    const folded = fold.fold(text);
    return patterns.every((p) => p.test(folded));
  };
}

/** Registers textbench_search_match(text, terms JSON): searchMatcher as SQL, with the last few queries compiled. */
export function registerSearchFunction(db: Db): void {
  const compiled = new Map<string, (text: string) => boolean>();
  db.function('textbench_search_match', { deterministic: true }, (text: unknown, terms: unknown) => {
    const key = String(terms);
    let match = compiled.get(key);
    if (!match) {
      match = searchMatcher(JSON.parse(key) as SearchTerm[]);
      if (compiled.size >= 8) compiled.delete(compiled.keys().next().value!);
      compiled.set(key, match);
    }
    return match(String(text ?? '')) ? 1 : 0;
  });
}
