// Colour scale of the confusion matrix: a cell's share of its true class, from the background to a strong hue.
// Diagonal (correct) cells and off-diagonal (mistake) cells use different hues so mistakes stand out. The
// number on a cell is black or white, whichever contrasts more: for any background one of them reaches at
// least 4.58:1 (WCAG AA asks 4.5:1), which #111/#f5f5f5 with a luminance cut-off did not (2.9:1 measured).

export interface CellStyle {
  background: string;
  color: string;
}

/** WCAG relative luminance of an sRGB colour (0..255 channels). */
export function relativeLuminance([r, g, b]: readonly number[]): number {
  const lin = (v: number) => {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r!) + 0.7152 * lin(g!) + 0.0722 * lin(b!);
}

/** WCAG contrast ratio of two luminances (1..21). */
export function contrastRatio(a: number, b: number): number {
  const [hi, lo] = a > b ? [a, b] : [b, a];
  return (hi + 0.05) / (lo + 0.05);
}

/** 0..1 share → an rgb() blend from the theme's surface to the hue, with the more legible of black and white text. */
export function cellStyle(share: number, correct: boolean, dark: boolean): CellStyle {
  const t = Math.max(0, Math.min(1, Number.isFinite(share) ? share : 0));
  const base = dark ? [30, 33, 40] : [255, 255, 255];
  const hue = correct ? (dark ? [56, 160, 120] : [30, 130, 90]) : dark ? [220, 90, 80] : [200, 60, 50];
  const mix = base.map((b, i) => Math.round(b + (hue[i]! - b) * t)) as [number, number, number];
  const L = relativeLuminance(mix);
  return { background: `rgb(${mix.join(', ')})`, color: contrastRatio(L, 1) >= contrastRatio(L, 0) ? '#ffffff' : '#000000' };
}

/** Row-normalised shares: each cell over its row (true class) total; rows of zeros stay zero. */
export function rowShares(matrix: readonly (readonly number[])[]): number[][] {
  return matrix.map((row) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((v) => (total ? v / total : 0));
  });
}
