// The Data view's search box as a full-text query: every word the user typed must occur, the last one (still
// being typed) as the beginning of a word. "nurs" finds "nursing" and "nurse"; "nursing care" finds texts with
// both words in any order. Text without a letter or digit falls back to a plain substring match.

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
  let words = searchWords(input);
  const short = (w: string) => [...w].length < 2;
  if (words.length > 1 && short(words[words.length - 1]!) && !/\s$/.test(input)) words = words.slice(0, -1);
  if (!words.length) return null;
  return words.map((w) => `"${w.replace(/"/g, '""')}"${short(w) ? '' : '*'}`).join(' AND ');
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
