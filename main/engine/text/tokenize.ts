// Tokenizers. Intl.Segmenter knows word boundaries for scripts without spaces (Chinese, Japanese, Thai)
// and keeps letters with diacritics (Polish, Spanish) inside words, which a regex split does not.

const wordSegmenter = new Intl.Segmenter('und', { granularity: 'word' });
const graphemeSegmenter = new Intl.Segmenter('und', { granularity: 'grapheme' });

/** Word-like segments of a text (punctuation and spaces dropped), lowercased unless told otherwise. */
export function tokenizeWords(text: string, lowercase = true): string[] {
  const src = lowercase ? text.toLowerCase() : text;
  const out: string[] = [];
  for (const s of wordSegmenter.segment(src)) if (s.isWordLike) out.push(s.segment);
  return out;
}

/** User-perceived characters (grapheme clusters), whitespace runs collapsed to one space. */
export function tokenizeChars(text: string, lowercase = true): string[] {
  const src = (lowercase ? text.toLowerCase() : text).replace(/\s+/gu, ' ').trim();
  const out: string[] = [];
  for (const s of graphemeSegmenter.segment(src)) out.push(s.segment);
  return out;
}

/** 32-bit FNV-1a over UTF-16 code units: stable across platforms and versions, so hashed features round-trip. */
export function fnv1a(s: string): number {
  return fnv1aFeed(FNV_OFFSET, s, 0, s.length);
}

export const FNV_OFFSET = 0x811c9dc5;

/** Continues an FNV-1a hash over s[start, end): hashing "ab" then "c" equals hashing "abc", without building strings. */
export function fnv1aFeed(h: number, s: string, start: number, end: number): number {
  for (let i = start; i < end; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
