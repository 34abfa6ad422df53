// Colour scale of the confusion matrix: a cell's share of its true class, from the background to a strong hue.
// Diagonal (correct) cells and off-diagonal (mistake) cells use different hues so mistakes stand out.

export interface CellStyle {
  background: string;
  color: string;
}

/** 0..1 share → an rgb() blend from the theme's surface to the hue; text flips to stay readable. */
export function cellStyle(share: number, correct: boolean, dark: boolean): CellStyle {
  const t = Math.max(0, Math.min(1, Number.isFinite(share) ? share : 0));
  const base = dark ? [30, 33, 40] : [255, 255, 255];
  const hue = correct ? (dark ? [56, 160, 120] : [30, 130, 90]) : dark ? [220, 90, 80] : [200, 60, 50];
  const mix = base.map((b, i) => Math.round(b + (hue[i]! - b) * t)) as [number, number, number];
  const luminance = (0.2126 * mix[0] + 0.7152 * mix[1] + 0.0722 * mix[2]) / 255;
  return { background: `rgb(${mix.join(', ')})`, color: luminance > 0.55 ? '#111' : '#f5f5f5' };
}

/** Row-normalised shares: each cell over its row (true class) total; rows of zeros stay zero. */
export function rowShares(matrix: readonly (readonly number[])[]): number[][] {
  return matrix.map((row) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((v) => (total ? v / total : 0));
  });
}
