import type { ClassMetrics } from '../../../shared/domain.ts';

export type ClassSortKey = keyof ClassMetrics;

export function sortClasses(rows: readonly ClassMetrics[], key: ClassSortKey, descending: boolean): ClassMetrics[] {
  const dir = descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    const x = a[key];
    const y = b[key];
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return c * dir || a.label.localeCompare(b.label);
  });
}

/** Probability bars, largest first, at most `limit` of them. */
export function topProbabilities(probabilities: Record<string, number>, limit = 10): Array<{ label: string; p: number }> {
  return Object.entries(probabilities)
    .map(([label, p]) => ({ label, p }))
    .sort((a, b) => b.p - a.p)
    .slice(0, limit);
}
