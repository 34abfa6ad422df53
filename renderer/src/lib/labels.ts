// New label names: a typo ("Educaton") must not silently become a class of its own. The Data view asks before
// creating a label and offers the nearest existing one.

/** Optimal string alignment distance (Levenshtein with adjacent transpositions), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) => [i, ...new Array<number>(t.length).fill(0)]);
  for (let j = 1; j <= t.length; j++) d[0]![j] = j;
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[s.length]![t.length]!;
}

/** The label as the project spells it, when the input only differs in case or surrounding spaces. */
export function existingLabel(input: string, labels: readonly string[]): string | null {
  const want = input.trim().toLowerCase();
  return labels.find((l) => l.toLowerCase() === want) ?? null;
}

/**
 * The existing label the input most likely means: one that starts with it or contains it as a word, else the
 * closest by edit distance when that is at most a third of the input's length (at least 1): "Educaton" →
 * "Education, Training, and Library"; "Legl" → "Legal"; "Astronauts" → none.
 */
export function nearestLabel(input: string, labels: readonly string[]): string | null {
  const want = input.trim().toLowerCase();
  if (!want) return null;
  const exact = existingLabel(want, labels);
  if (exact) return exact;
  const byPrefix = labels.filter((l) => l.toLowerCase().startsWith(want) || l.toLowerCase().split(/[^\p{L}\p{N}]+/u).includes(want));
  if (byPrefix.length) return byPrefix.sort((a, b) => a.length - b.length)[0]!;
  let best: string | null = null;
  let bestScore = Infinity;
  for (const l of labels) {
    // Compare with the whole label and with its first words, so a misspelt first word finds a long name.
    const head = l.split(/[,;/]| and /)[0]!.trim();
    const score = Math.min(editDistance(want, l), editDistance(want, head));
    if (score < bestScore) {
      bestScore = score;
      best = l;
    }
  }
  return best !== null && bestScore <= Math.max(1, Math.floor(want.length / 3)) ? best : null;
}
