// Tokenizers. Intl.Segmenter knows word boundaries for scripts without spaces (Chinese, Japanese, Thai)
// and keeps letters with diacritics (Polish, Spanish) inside words, which a regex split does not.

const wordSegmenter = new Intl.Segmenter('und', { granularity: 'word' });
const graphemeSegmenter = new Intl.Segmenter('und', { granularity: 'grapheme' });

/**
 * Intl.Segmenter slows down with the length of the string it walks (V8 in Node 20, measured: 0.3 us/char on
 * 512 characters, 2.5 us/char on 16 k; a 200 kB text took 149 s), so long texts are walked in windows of
 * WINDOW characters. Boundaries depend on a few characters of context, so only segments that end at least
 * MARGIN before a window's end are kept, and the next window starts where the last kept one ended; a segment
 * longer than that makes the window grow (up to MAX_WINDOW, past which a "word" is cut). Every segment comes
 * out as a walk over the whole text gives it (checked against one in tests/unit/text-limits.test.ts).
 */
const WINDOW = 512;
const MARGIN = 64;
const MAX_WINDOW = 16 * 1024;

function eachSegment(segmenter: Intl.Segmenter, text: string, visit: (s: Intl.SegmentData) => void): void {
  if (text.length <= WINDOW) {
    for (const s of segmenter.segment(text)) visit(s);
    return;
  }
  let start = 0;
  let size = WINDOW;
  while (start < text.length) {
    const end = Math.min(text.length, start + size);
    const last = end === text.length;
    const keepBefore = size - MARGIN;
    const kept: Intl.SegmentData[] = [];
    for (const s of segmenter.segment(text.slice(start, end))) {
      if (!last && s.index + s.segment.length > keepBefore) break;
      kept.push(s);
    }
    if (!kept.length) {
      if (size < MAX_WINDOW) {
        size *= 2; // one segment reaches past the margin: read it again in a wider window
        continue;
      }
      // A single segment of over MAX_WINDOW characters (no real word is): taken as cut at the window.
      for (const s of segmenter.segment(text.slice(start, end))) {
        kept.push(s);
        break;
      }
    }
    for (const s of kept) visit(s);
    const tail = kept[kept.length - 1]!;
    start += tail.index + tail.segment.length;
    size = WINDOW;
  }
}

/**
 * Word classes of the ASCII characters under Unicode's word-boundary rules (UAX #29) as ICU applies them:
 * 1 letter, 2 digit, 3 underscore (ExtendNumLet), 4 colon (MidLetter), 5 comma and semicolon (MidNum),
 * 6 full stop and apostrophe (MidNumLet, Single_Quote); 0 everything else (spaces, line breaks and other
 * punctuation never join a word).
 */
const ASCII_WORD_CLASS = (() => {
  const cls = new Uint8Array(128);
  for (let c = 65; c <= 90; c++) cls[c] = 1;
  for (let c = 97; c <= 122; c++) cls[c] = 1;
  for (let c = 48; c <= 57; c++) cls[c] = 2;
  cls[95] = 3;
  cls[58] = 4;
  cls[44] = cls[59] = 5;
  cls[46] = cls[39] = 6;
  return cls;
})();
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * The word-like segments Intl.Segmenter gives an ASCII text, in one pass over its characters (Intl.Segmenter costs
 * ~0.5 us per character, most of a short text's classification time). Letters, digits and underscores join (WB5,
 * 8-10, 13a-b); a letter-colon/full stop/apostrophe-letter or digit-comma/semicolon/full stop/apostrophe-digit stays
 * one word (WB6-7, 11-12); everything else is a boundary. ICU calls a lone underscore not word-like and two or more
 * word-like. Checked against Intl.Segmenter on random ASCII strings and every ASCII line of the datasets
 * (tests/unit/tokenize-ascii.test.ts).
 */
function asciiWords(src: string, out: string[]): void {
  const n = src.length;
  const cls = ASCII_WORD_CLASS;
  let i = 0;
  while (i < n) {
    const c = cls[src.charCodeAt(i)]!;
    if (c < 1 || c > 3) {
      i++;
      continue;
    }
    const start = i;
    let last = c;
    let letters = c !== 3;
    i++;
    while (i < n) {
      const t = cls[src.charCodeAt(i)]!;
      if (t >= 1 && t <= 3) {
        last = t;
        if (t !== 3) letters = true;
        i++;
        continue;
      }
      if (i + 1 < n) {
        const next = cls[src.charCodeAt(i + 1)]!;
        if ((last === 1 && (t === 4 || t === 6) && next === 1) || (last === 2 && (t === 5 || t === 6) && next === 2)) {
          last = next;
          i += 2;
          continue;
        }
      }
      break;
    }
    if (letters || i - start > 1) out.push(src.slice(start, i));
  }
}

/** Word-like segments of a text (punctuation and spaces dropped), lowercased unless told otherwise. Linear in the text's length. */
export function tokenizeWords(text: string, lowercase = true): string[] {
  const src = lowercase ? text.toLowerCase() : text;
  const out: string[] = [];
  if (!NON_ASCII.test(src)) {
    asciiWords(src, out);
    return out;
  }
  eachSegment(wordSegmenter, src, (s) => {
    if (s.isWordLike) out.push(s.segment);
  });
  return out;
}

/** tokenizeWords through Intl.Segmenter only (the reference the ASCII path is tested against). */
export function segmenterWords(text: string, lowercase = true): string[] {
  const src = lowercase ? text.toLowerCase() : text;
  const out: string[] = [];
  eachSegment(wordSegmenter, src, (s) => {
    if (s.isWordLike) out.push(s.segment);
  });
  return out;
}

/** User-perceived characters (grapheme clusters), whitespace runs collapsed to one space. Linear in the text's length. */
export function tokenizeChars(text: string, lowercase = true): string[] {
  const src = (lowercase ? text.toLowerCase() : text).replace(/\s+/gu, ' ').trim();
  const out: string[] = [];
  eachSegment(graphemeSegmenter, src, (s) => out.push(s.segment));
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
