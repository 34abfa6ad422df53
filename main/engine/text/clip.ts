// A cap on how much of a text is tokenised. A model reads a window of tokens (its sequence length, or its
// strongest n-gram features); tokenising a 5 MB text to keep 200 of its words cost minutes and stopped
// training. Texts are cut before tokenisation, so the cost of a text stops growing past the window.

/**
 * Characters allowed per token the model reads. A word with its separator averages about 6 characters in
 * English and Polish; 32 leaves room for long compounds, URLs and numbers, so that for any real text the
 * kept characters still hold every token the model reads and the cut changes nothing it sees.
 */
export const CHARS_PER_TOKEN = 32;

/** Bag-of-n-gram models read every part of a text: they get this many characters (about 10,000 words). */
export const BAG_CHARS = 64 * 1024;

export interface Clipped {
  text: string;
  /** Whether anything was cut. */
  clipped: boolean;
}

/** Moves an index off the second half of a surrogate pair, so that no cut splits a character. */
function atCodePoint(text: string, i: number): number {
  const c = text.charCodeAt(i);
  return c >= 0xdc00 && c <= 0xdfff ? i - 1 : i;
}

/**
 * Keeps the first `head` and the last `tail` characters of a text longer than both, joined by a line break
 * (so that the two ends never fuse into one token). A text that fits is returned as it is.
 */
export function clipText(text: string, head: number, tail = 0): Clipped {
  if (text.length <= head + tail) return { text, clipped: false };
  const h = atCodePoint(text, head);
  if (tail <= 0) return { text: text.slice(0, h), clipped: true };
  const t = atCodePoint(text, text.length - tail);
  return { text: `${text.slice(0, h)}\n${text.slice(t)}`, clipped: true };
}

/**
 * The characters a sequence model of `sequenceLength` tokens can use: the head and the tail (head+tail
 * truncation keeps both ends), or, when a long text is split into half-overlapping windows (at most 32 of
 * them: the first 16.5 windows' worth and the last window), 17 windows' worth of head and one of tail.
 */
export function clipForSequence(text: string, sequenceLength: number, windows = false): Clipped {
  const window = sequenceLength * CHARS_PER_TOKEN;
  return clipText(text, windows ? 17 * window : window, window);
}
