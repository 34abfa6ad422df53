// What the linear model's weights say, in a form the views draw: n-grams as a person reads them, and a text cut
// into highlighted pieces by the word shares models.explain returns. Pure: the components wrap it.
import type { NgramWeight, TextExplanation } from '../../../shared/linear.ts';

/** A word n-gram as it is; a character n-gram with its word edges (the vectorizer's spaces) shown as "·". */
export function ngramText(n: Pick<NgramWeight, 'kind' | 'text'>): string {
  return n.kind === 'char' ? n.text.replace(/ /g, '·') : n.text;
}

/** The largest |weight| of the lists (at least a tiny positive number, so bars and shades divide safely). */
export function largest(...lists: ReadonlyArray<ReadonlyArray<{ weight: number }>>): number {
  let m = 0;
  for (const l of lists) for (const x of l) m = Math.max(m, Math.abs(x.weight));
  return m || 1e-12;
}

export interface Piece {
  text: string;
  /** The piece's share of the decision value (positive: towards the label), or null for text between words. */
  weight: number | null;
}

/**
 * The whole text as consecutive pieces: each explained span with its weight, the text around them unweighted.
 * Spans out of range or overlapping an earlier one are skipped (the text is never repeated or lost).
 */
export function pieces(text: string, spans: TextExplanation['spans']): Piece[] {
  const out: Piece[] = [];
  let at = 0;
  for (const s of [...spans].sort((a, b) => a.start - b.start)) {
    if (s.start < at || s.end > text.length || s.end <= s.start) continue;
    if (s.start > at) out.push({ text: text.slice(at, s.start), weight: null });
    out.push({ text: text.slice(s.start, s.end), weight: s.weight });
    at = s.end;
  }
  if (at < text.length) out.push({ text: text.slice(at), weight: null });
  return out;
}

/** How strongly to shade a piece, 0..1 of the strongest in the text; tiny shares (under 5%) are not shaded. */
export function shade(weight: number | null, max: number): number {
  if (weight === null || !max) return 0;
  const s = Math.min(1, Math.abs(weight) / max);
  return s < 0.05 ? 0 : s;
}
