// How a text becomes n-grams for TF-IDF: the rules of scikit-learn's TfidfVectorizer, so a model here and a
// model there see the same features (tests/unit/tfidf-sklearn.test.ts compares them term by term).
//
// - Words: runs of two or more word characters, scikit-learn's token_pattern (?u)\b\w\w+\b. One-letter
//   tokens ("a", "I", Polish "w", "z") are dropped as scikit-learn drops them. Word characters are letters,
//   digits, marks and the underscore: Python's \w leaves out combining marks, which splits words of scripts
//   that write vowels as marks (Devanagari); keeping marks inside words is the one deliberate difference.
// - Characters: n-grams inside each whitespace-separated token padded with one space on each side, as
//   scikit-learn's char_wb analyzer does (punctuation stays attached to its word, "good," gives " good, ").
// - Texts are NFC-normalised first, so a Polish "ą" typed as a + combining ogonek equals the precomposed one.

const WORD = /[\p{L}\p{N}\p{M}_]{2,}/gu;
/** Python's str.split() separators: Unicode whitespace plus the information separators \x1c-\x1f and \x85. */
const WHITESPACE = /[\s\x1c-\x1f\x85]+/u;
const SURROGATE = /[\uD800-\uDFFF]/;

export function preprocess(text: string, lowercase: boolean): string {
  const t = text.normalize('NFC');
  return lowercase ? t.toLowerCase() : t;
}

/** Word tokens of an already preprocessed text. */
export function wordTokens(text: string): string[] {
  return text.match(WORD) ?? [];
}

/** Word tokens with their [start, end) offsets in the original text (for highlighting explanations). */
export function wordTokenSpans(text: string, lowercase: boolean): Array<{ token: string; start: number; end: number }> {
  const out: Array<{ token: string; start: number; end: number }> = [];
  // Offsets refer to the text as given; NFC can change lengths, so spans are found on the text itself and
  // each token is normalised on its own (the same tokens whenever normalisation keeps word boundaries).
  for (const m of text.matchAll(WORD)) {
    out.push({ token: preprocess(m[0], lowercase), start: m.index, end: m.index + m[0].length });
  }
  return out;
}

/** Whitespace-separated tokens of an already preprocessed text (the units of char_wb n-grams). */
export function whitespaceTokens(text: string): string[] {
  return text.split(WHITESPACE).filter((t) => t.length > 0);
}

/**
 * Character n-grams of one whitespace token, padded " token ", orders lo..hi, with repeats, in scikit-learn's
 * order. A token shorter than an order gives itself (padded) once and stops, as char_wb does.
 */
export function charNgramsOfToken(token: string, lo: number, hi: number): string[] {
  const padded = ` ${token} `;
  const out: string[] = [];
  if (!SURROGATE.test(padded)) {
    const len = padded.length;
    for (let n = lo; n <= hi; n++) {
      let offset = 0;
      out.push(padded.slice(0, n));
      while (offset + n < len) {
        offset++;
        out.push(padded.slice(offset, offset + n));
      }
      if (offset === 0) break;
    }
    return out;
  }
  // Astral characters (emoji, rare CJK) are two UTF-16 units: count code points as Python does.
  const cps = Array.from(padded);
  const len = cps.length;
  for (let n = lo; n <= hi; n++) {
    let offset = 0;
    out.push(cps.slice(0, n).join(''));
    while (offset + n < len) {
      offset++;
      out.push(cps.slice(offset, offset + n).join(''));
    }
    if (offset === 0) break;
  }
  return out;
}
