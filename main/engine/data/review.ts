import type { Db } from '../store/db.ts';
import type { Split } from '../../../shared/domain.ts';
import { REVIEW_ID_LIMIT, REVIEW_THRESHOLDS, type ReviewCheck, type ReviewGroup, type ReviewReport } from '../../../shared/data.ts';
import { idsWithLabels, iterateTexts, labelCounts, rareLabels, repeatedTextRows } from '../store/examples.ts';
import { hasNoContent, wordCount } from '../text/cells.ts';

const GROUP_LIMIT = 200;
/** Rows between two progress reports of the text scan (about 50 ms of work each on 238,000 rows). */
const PROGRESS_EVERY = 10_000;

interface Group {
  text: string;
  ids: number[];
  labels: Set<string>;
  splits: Set<Split>;
  copies: Map<string, number>;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

function toGroups(groups: Group[]): ReviewGroup[] {
  return groups.slice(0, GROUP_LIMIT).map((g) => ({ text: g.text, ids: g.ids, labels: [...g.labels].sort(), copies: Object.fromEntries(g.copies) }));
}

function capIds(groups: Group[]): number[] {
  const out: number[] = [];
  for (const g of groups) for (const id of g.ids) if (out.length < REVIEW_ID_LIMIT) out.push(id);
  return out;
}

/**
 * The review checks over a project's examples: class distribution, exact duplicates, conflicting labels,
 * the same text in several splits, texts without content, very short and very long texts, rare classes.
 * Each check says what it found and why it matters, and points at example ids (see `examples --flag`).
 */
export function reviewProject(db: Db, project: { id: string; name: string }, onProgress?: (done: number, total: number) => void): ReviewReport {
  const classes = labelCounts(db, project.id);
  const total = classes.reduce((s, c) => s + c.count, 0);
  onProgress?.(0, total);

  // Only rows whose normalised text occurs more than once are read back for grouping.
  const dupRows = repeatedTextRows(db, project.id);
  const byHash = new Map<string, Group>();
  for (const r of dupRows) {
    let g = byHash.get(r.hash);
    if (!g) byHash.set(r.hash, (g = { text: r.text, ids: [], labels: new Set(), splits: new Set(), copies: new Map() }));
    g.ids.push(r.id);
    g.labels.add(r.label);
    g.copies.set(r.label, (g.copies.get(r.label) ?? 0) + 1);
    g.splits.add(r.split);
  }
  const dupGroups = [...byHash.values()].sort((a, b) => b.ids.length - a.ids.length || a.ids[0]! - b.ids[0]!);
  const duplicates = dupGroups.reduce((s, g) => s + g.ids.length - 1, 0);
  const conflictGroups = dupGroups.filter((g) => g.labels.size > 1);
  const leakGroups = dupGroups.filter((g) => g.splits.size > 1);
  const conflictExamples = conflictGroups.reduce((s, g) => s + g.ids.length, 0);

  const empty: number[] = [];
  const short: number[] = [];
  const long: number[] = [];
  let emptyN = 0;
  let shortN = 0;
  let longN = 0;
  let scanned = 0;
  for (const r of iterateTexts(db, project.id)) {
    if (++scanned % PROGRESS_EVERY === 0) onProgress?.(scanned, total);
    if (hasNoContent(r.text)) {
      emptyN++;
      if (empty.length < REVIEW_ID_LIMIT) empty.push(r.id);
      continue;
    }
    const w = wordCount(r.text);
    if (w < REVIEW_THRESHOLDS.shortWords) {
      shortN++;
      if (short.length < REVIEW_ID_LIMIT) short.push(r.id);
    } else if (w > REVIEW_THRESHOLDS.longWords) {
      longN++;
      if (long.length < REVIEW_ID_LIMIT) long.push(r.id);
    }
  }

  const rare = rareLabels(classes);
  const rareIds = rare.length ? idsWithLabels(db, project.id, rare, REVIEW_ID_LIMIT) : [];
  const rareDetail = rare
    .map((l) => {
      const c = classes.find((x) => x.label === l)!;
      return `"${l}" (train ${c.splits.train}, validation ${c.splits.validation}, test ${c.splits.test})`;
    })
    .slice(0, 10)
    .join(', ');

  const T = REVIEW_THRESHOLDS;
  const checks: ReviewCheck[] = [
    {
      id: 'duplicates',
      title: 'Exact duplicates',
      severity: duplicates ? 'warning' : 'ok',
      count: duplicates,
      message: duplicates
        ? `${plural(duplicates, 'example')} repeat a text that appears earlier (${plural(dupGroups.length, 'text')} occur more than once; texts compared after Unicode normalisation and collapsing spaces, case kept). Duplicates count twice in training and, when they sit in different splits, make test scores look better than they are. Keep one copy unless the repetition is real.`
        : 'No text occurs twice.',
      ids: capIds(dupGroups),
      groups: toGroups(dupGroups),
    },
    {
      id: 'conflicts',
      title: 'Same text, different labels',
      severity: conflictGroups.length ? 'error' : 'ok',
      count: conflictExamples,
      message: conflictGroups.length
        ? `${plural(conflictExamples, 'example')} share their text with an example of another label (${plural(conflictGroups.length, 'distinct text')} appear under two or more labels). A model cannot be right on both; decide which label is correct and relabel the others (or remove the ambiguity from the label set).`
        : 'No text carries two different labels.',
      ids: capIds(conflictGroups),
      groups: toGroups(conflictGroups),
    },
    {
      id: 'leaks',
      title: 'Same text in several splits',
      severity: leakGroups.length ? 'warning' : 'ok',
      count: leakGroups.length,
      message: leakGroups.length
        ? `${plural(leakGroups.length, 'text')} appear in more than one of train, validation and test. The model sees them while training and is then scored on them, which flatters the scores.`
        : 'No text is shared between splits.',
      ids: capIds(leakGroups),
      groups: toGroups(leakGroups),
    },
    {
      id: 'empty',
      title: 'Texts without content',
      severity: emptyN ? 'warning' : 'ok',
      count: emptyN,
      threshold: 'no letter and no digit',
      message: emptyN
        ? `${plural(emptyN, 'text')} have no letter or digit (only punctuation or symbols). They give the model nothing to learn from; fix or remove them. (Rows with an empty text were already skipped at import.)`
        : 'Every text has letters or digits.',
      ids: empty,
    },
    {
      id: 'short',
      title: 'Very short texts',
      severity: shortN ? 'info' : 'ok',
      count: shortN,
      threshold: `fewer than ${T.shortWords} words`,
      message: shortN
        ? `${plural(shortN, 'text')} have fewer than ${T.shortWords} words. Short texts carry little evidence; check that they are complete and that their labels make sense.`
        : `No text is shorter than ${T.shortWords} words.`,
      ids: short,
    },
    {
      id: 'long',
      title: 'Very long texts',
      severity: longN ? 'info' : 'ok',
      count: longN,
      threshold: `more than ${T.longWords} words`,
      message: longN
        ? `${plural(longN, 'text')} have more than ${T.longWords} words. Recurrent models read a fixed number of tokens and cut the rest; raise the sequence length or check that these are single examples, not several pasted together.`
        : `No text is longer than ${T.longWords} words.`,
      ids: long,
    },
    {
      id: 'rare',
      title: 'Classes too rare to learn',
      severity: rare.length ? 'warning' : 'ok',
      count: rare.length,
      threshold: `fewer than ${T.rareTrain} train examples, or absent from validation or test`,
      message: rare.length
        ? `${plural(rare.length, 'class', 'classes')} have fewer than ${T.rareTrain} train examples or are missing from validation or test: ${rareDetail}${rare.length > 10 ? '…' : ''}. The model will rarely predict them and their scores cannot be measured; add examples, merge them into a related class, or drop them.`
        : `Every class has at least ${T.rareTrain} train examples and appears in every split.`,
      ids: rareIds,
      labels: rare,
    },
  ];

  onProgress?.(total, total);
  return {
    project: project.name,
    total,
    classes,
    duplicates,
    duplicateTexts: dupGroups.length,
    conflicts: conflictExamples,
    conflictTexts: conflictGroups.length,
    checks,
    imbalanceRatio: classes.length ? classes[0]!.count / classes[classes.length - 1]!.count : null,
    thresholds: { shortWords: T.shortWords, longWords: T.longWords, rareTrain: T.rareTrain },
  };
}
