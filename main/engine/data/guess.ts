import type { ColumnGuess } from '../../../shared/data.ts';
import type { Split } from '../../../shared/domain.ts';
import type { Row } from './table.ts';

const SPLIT_WORDS: Record<string, Split> = {
  train: 'train',
  training: 'train',
  validation: 'validation',
  validate: 'validation',
  valid: 'validation',
  val: 'validation',
  dev: 'validation',
  development: 'validation',
  test: 'test',
  testing: 'test',
};

/** train/validation/test from a split column's value, any case, with the usual synonyms; null if not one. */
export function splitOf(value: string): Split | null {
  return SPLIT_WORDS[value.trim().toLowerCase()] ?? null;
}

const LABEL_NAMES = /^(label|labels|class|category|categories|target|y|tag|intent|sentiment|topic|group|major_group|industry|team|polarity)$/i;
const TEXT_NAMES = /^(text|texts|sentence|sentences|content|body|description|review|message|document|doc|task|comment|title|summary|utterance)$/i;
const SPLIT_NAMES = /^(split|set|subset|fold|partition|dataset_split)$/i;

interface ColumnStats {
  name: string;
  index: number;
  filled: number;
  distinct: number;
  avgLength: number;
  allSplitWords: boolean;
  /** Share of filled cells that are train/validation/test words. */
  splitShare: number;
}

function stats(columns: string[], rows: Row[]): ColumnStats[] {
  return columns.map((name, index) => {
    const seen = new Set<string>();
    let filled = 0;
    let len = 0;
    let splitWords = 0;
    for (const r of rows) {
      const v = (r.cells[index] ?? '').trim();
      if (!v) continue;
      filled++;
      len += v.length;
      seen.add(v);
      if (splitOf(v)) splitWords++;
    }
    return {
      name,
      index,
      filled,
      distinct: seen.size,
      avgLength: filled ? len / filled : 0,
      allSplitWords: filled > 0 && splitWords === filled,
      splitShare: filled ? splitWords / filled : 0,
    };
  });
}

/**
 * Guesses the columns from a sample of rows: the split column by its name or its values; the label column
 * as a low-cardinality column of short values (a label-like name breaks ties); the text as the column with
 * the longest values, plus any other long, mostly distinct column (e.g. title + description).
 */
export function guessColumns(columns: string[], rows: Row[]): ColumnGuess {
  const st = stats(columns, rows);
  const n = rows.length;
  // A split column: only split words (named like one, or at most three values), or named like one with mostly
  // split words (then the import reports the odd values instead of silently ignoring the column).
  const split =
    st.find((c) => c.allSplitWords && (SPLIT_NAMES.test(c.name) || c.distinct <= 3)) ?? st.find((c) => SPLIT_NAMES.test(c.name) && c.splitShare >= 0.8);
  const rest = st.filter((c) => c !== split && c.filled > 0);
  const byLength = [...rest].sort((a, b) => b.avgLength - a.avgLength || Number(TEXT_NAMES.test(b.name)) - Number(TEXT_NAMES.test(a.name)));
  const text = byLength[0];
  const labelCandidates = rest
    .filter((c) => c !== text)
    .filter((c) => c.avgLength <= 80 && c.distinct >= 1 && (c.distinct <= Math.max(2, n * 0.5) || LABEL_NAMES.test(c.name)));
  labelCandidates.sort((a, b) => {
    const na = LABEL_NAMES.test(a.name) ? 1 : 0;
    const nb = LABEL_NAMES.test(b.name) ? 1 : 0;
    if (na !== nb) return nb - na;
    // Two or more values beats a constant column; then fewer distinct values; then more filled cells.
    const ca = a.distinct >= 2 ? 0 : 1;
    const cb = b.distinct >= 2 ? 0 : 1;
    if (ca !== cb) return ca - cb;
    return a.distinct - b.distinct || b.filled - a.filled;
  });
  const label = labelCandidates[0] ?? null;
  const textColumns = text ? [text.name] : [];
  if (text) {
    for (const c of byLength.slice(1)) {
      if (c === label) continue;
      if (c.avgLength >= 20 && c.avgLength >= text.avgLength * 0.5 && c.distinct >= n * 0.5) textColumns.push(c.name);
    }
  }
  return { textColumns, labelColumn: label?.name ?? null, splitColumn: split?.name ?? null };
}
