import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Dataset, Split } from '../../../shared/domain.ts';
import type { ColumnGuess, ImportOptions, ImportPreview, ImportProblem, ImportResult, ReadOptions } from '../../../shared/data.ts';
import type { EngineContext } from '../context.ts';
import { TextbenchError } from '../errors.ts';
import { newId, nowIso } from '../store/ids.ts';
import { stagingPath } from '../leftovers.ts';
import { createProject, findProject } from '../store/projects.ts';
import { freeDatasetName, insertDataset } from '../store/datasets.ts';
import { StagingTable, STAGING_BATCH, STAGED_COLUMNS, commitStaged, datasetFromSameSource, otherLabelCount } from '../store/staging.ts';
import { NotUtf8Error } from './decode.ts';
import { guessColumns, splitOf } from './guess.ts';
import { ImportProgress } from './progress.ts';
import { SPLIT_CODES, TRAIN, carveFromTrain, stratifiedSplit } from './split.ts';
import { cleanCell, joinTextCells } from '../text/cells.ts';
import { openTable, type Row, type Table } from './table.ts';

export const DEFAULT_SEED = 42;
const PREVIEW_ROWS = 20;
const REPORT_LINES = 5;
/** Characters of staged rows held before they are written out, whatever the batch size. */
const PENDING_CHARS = 16 * 1024 * 1024;

export async function previewImport(file: string, opts: ReadOptions & { rows?: number } = {}): Promise<ImportPreview> {
  const table = await openTable(path.resolve(file), opts);
  try {
    const shown = table.sample.slice(0, opts.rows ?? PREVIEW_ROWS);
    const problems: ImportProblem[] = [];
    if (table.format === 'csv' || table.format === 'tsv') {
      for (const r of table.sample) {
        if (r.cells.length !== table.columns.length && problems.length < REPORT_LINES) {
          problems.push({ line: r.line, message: `line ${r.line} has ${r.cells.length} fields; the header has ${table.columns.length}` });
        }
      }
    }
    return {
      file: table.file,
      format: table.format,
      encoding: table.encoding,
      ...(table.delimiter !== undefined ? { delimiter: table.delimiter, quoting: table.quoting } : {}),
      header: table.header,
      ...(table.sheets ? { sheets: table.sheets, sheet: table.sheet } : {}),
      columns: table.columns,
      rows: shown.map((r) => Object.fromEntries(table.columns.map((c, i) => [c, r.cells[i] ?? '']))),
      cells: shown.map((r) => r.cells),
      lines: shown.map((r) => r.line),
      guess: guessColumns(table.columns, table.sample),
      sizeBytes: table.sizeBytes,
      problems,
    };
  } finally {
    table.close();
  }
}

/**
 * Imports of at least this many rows leave the full-text index to be built after the import (store/fts-backlog.ts,
 * data/search-index.ts): in the import's one transaction it took 29.7 s of 34.5 s on the 200 MB benchmark file.
 * Smaller ones index inline, so that a small import is searchable by the index the moment it returns.
 */
export const DEFER_INDEX_ROWS = 10_000;

/** What the caller can steer while an import runs. */
export interface ImportControl {
  /** Aborting stops the import at the next batch of rows; the workspace stays as it was. */
  signal?: AbortSignal;
  /** Rows from which the full-text index is built after the import instead of inside it (default DEFER_INDEX_ROWS; Infinity: always inside). */
  deferIndexRows?: number;
}

interface Pass {
  control: ImportControl;
  /** One progress reporter for both passes, so that a Windows-1252 restart never reports going backwards. */
  progress?: ImportProgress;
}

/**
 * Imports a file into a project; see ImportOptions. The reader judges UTF-8 on the whole file's evidence and
 * switches to Windows-1252 by itself when all it had read was ASCII; when it had already handed out UTF-8
 * text, it asks for the file to be read again in Windows-1252 (NotUtf8Error), which this does once.
 */
export async function importFile(ctx: EngineContext, file: string, opts: ImportOptions = {}, control: ImportControl = {}): Promise<ImportResult> {
  const abs = path.resolve(file);
  const pass: Pass = { control };
  try {
    return await importOnce(ctx, abs, opts, [], pass);
  } catch (err) {
    if (!(err instanceof NotUtf8Error)) throw err;
    if (opts.encoding === 'utf-8') {
      throw new TextbenchError(
        `${abs}, line ${err.line}: the bytes near offset ${err.offset} are not valid UTF-8, but the import was told the file is UTF-8. Leave the encoding to be detected, or pick the file's real encoding (e.g. windows-1252).`,
        'BAD_ENCODING',
        { file: abs, offset: err.offset, line: err.line },
      );
    }
    return importOnce(ctx, abs, { ...opts, encoding: 'windows-1252' }, [`${abs} is not UTF-8 (first invalid byte near offset ${err.offset}, line ${err.line}); it was read as Windows-1252.`], pass);
  }
}

interface Columns {
  text: number[];
  label: number;
  split: number | null;
  guess: ColumnGuess;
}

function columnError(table: Table, name: string, role: string, flag: string): TextbenchError {
  const list = table.columns.map((c) => `"${c}"`).join(', ');
  const headerHint = table.header
    ? ''
    : ` The file has no header row (its first line looks like data), so its columns are named ${table.columns.slice(0, 3).join(', ')}${table.columns.length > 3 ? '…' : ''}.`;
  return new TextbenchError(`${table.file} has no column "${name}" for the ${role}. Its columns are: ${list}.${headerHint} Pass one of them with ${flag}.`, 'NO_SUCH_COLUMN', {
    file: table.file,
    column: name,
    columns: table.columns,
  });
}

function pickColumns(table: Table, opts: ImportOptions): Columns {
  const guess = guessColumns(table.columns, table.sample);
  const find = (name: string, role: string, flag: string): number => {
    let i = table.columns.indexOf(name);
    if (i < 0) i = table.columns.findIndex((c) => c.toLowerCase() === name.toLowerCase());
    if (i < 0) throw columnError(table, name, role, flag);
    return i;
  };
  const textNames = opts.text?.length ? opts.text : guess.textColumns;
  if (!textNames.length) {
    throw new TextbenchError(`${table.file}: no column looks like text. Name the text column with --text COLUMN. Its columns are: ${table.columns.join(', ')}.`, 'NO_TEXT_COLUMN', {
      file: table.file,
    });
  }
  const text = textNames.map((n) => find(n, 'text', '--text'));
  const labelName = opts.label ?? guess.labelColumn;
  if (!labelName) {
    throw new TextbenchError(
      `${table.file}: no label column found (${table.columns.length === 1 ? 'the file has a single column' : 'no column has few enough distinct values to be labels'}). ` +
        `Name the label column with --label COLUMN${table.columns.length > 1 ? `; the columns are: ${table.columns.join(', ')}` : ', or add a column of labels to the file'}.`,
      'NO_LABEL_COLUMN',
      { file: table.file, columns: table.columns },
    );
  }
  const label = find(labelName, 'label', '--label');
  if (text.includes(label)) {
    throw new TextbenchError(`${table.file}: column "${table.columns[label]}" cannot be both the text and the label. Pick different columns with --text and --label.`, 'COLUMN_TWICE', {
      file: table.file,
    });
  }
  const splitName = opts.split === null || opts.split === 'none' ? null : opts.split ?? guess.splitColumn;
  const split = splitName ? find(splitName, 'split', '--split') : null;
  if (split !== null && (split === label || text.includes(split))) {
    throw new TextbenchError(`${table.file}: column "${splitName}" cannot be the split column and also the text or label. Pass --split none to ignore it.`, 'COLUMN_TWICE', {
      file: table.file,
    });
  }
  return {
    text,
    label,
    split,
    guess: { textColumns: text.map((i) => table.columns[i]!), labelColumn: table.columns[label]!, splitColumn: split === null ? null : table.columns[split]! },
  };
}

function linesList(items: { line: number; note?: string }[]): string {
  return items.map((x) => `line ${x.line}${x.note ? ` (${x.note})` : ''}`).join(', ');
}

async function importOnce(ctx: EngineContext, file: string, opts: ImportOptions, warnings: string[], pass: Pass): Promise<ImportResult> {
  const projectName = opts.project?.trim() || path.basename(file).replace(/\.[^.]+$/, '') || 'project';
  const table = await openTable(file, opts);
  // Named for this process, so that a later one removes it if this one is killed (leftovers.ts).
  const stagingFile = stagingPath(ctx.dir);
  let staging: StagingTable | undefined;
  const signal = pass.control.signal;
  try {
    const progress = (pass.progress ??= new ImportProgress(ctx.emit, table.sizeBytes, findProject(ctx.db, projectName)?.id));
    const cols = pickColumns(table, opts);
    const stage = (staging = new StagingTable(stagingFile));
    let pendingValues: (string | number)[] = [];
    // Batched rows are held in memory: a batch of long texts goes out early rather than 64 texts at the cell limit.
    let pendingChars = 0;
    const flush = (): void => {
      stage.insert(pendingValues);
      pendingValues = [];
      pendingChars = 0;
    };

    const t0 = performance.now();
    const checkWidth = table.format === 'csv' || table.format === 'tsv';
    const width = table.columns.length;
    const badWidth: { line: number; note: string }[] = [];
    const badSplit: { line: number; note: string }[] = [];
    const emptyText: { line: number }[] = [];
    const emptyLabel: { line: number }[] = [];
    let skippedText = 0;
    let skippedLabel = 0;
    const labelIndex = new Map<string, number>();
    const rowLabels: number[] = [];
    const rowSplits: number[] = [];
    let n = 0;
    let seen = 0;

    const blank = (cells: string[]): boolean => cells.every((c) => !c.trim());
    const take = (r: Row): void => {
      if (checkWidth && r.cells.length !== width) {
        // A line of spaces is an empty line, not a row with the wrong width.
        if (blank(r.cells)) return;
        badWidth.push({ line: r.line, note: `${r.cells.length} field${r.cells.length === 1 ? '' : 's'}` });
        return;
      }
      if (badWidth.length) return;
      const { text, hash } = joinTextCells(r.cells, cols.text);
      const label = cleanCell(r.cells[cols.label] ?? '');
      if (!text) {
        skippedText++;
        if (emptyText.length < REPORT_LINES) emptyText.push({ line: r.line });
        return;
      }
      if (!label) {
        skippedLabel++;
        if (emptyLabel.length < REPORT_LINES) emptyLabel.push({ line: r.line });
        return;
      }
      let split: number = TRAIN;
      if (cols.split !== null) {
        const raw = (r.cells[cols.split] ?? '').trim();
        const s = splitOf(raw);
        if (!s) {
          if (badSplit.length < REPORT_LINES) badSplit.push({ line: r.line, note: raw ? `"${raw}"` : 'empty' });
          return;
        }
        split = SPLIT_CODES.indexOf(s);
      }
      let li = labelIndex.get(label);
      if (li === undefined) {
        li = labelIndex.size;
        labelIndex.set(label, li);
      }
      rowLabels.push(li);
      rowSplits.push(split);
      pendingValues.push(r.line, text, label, hash);
      pendingChars += text.length;
      if (pendingValues.length === STAGING_BATCH * STAGED_COLUMNS || pendingChars > PENDING_CHARS) flush();
      n++;
    };

    rows: for await (const batch of table.rows()) {
      if (signal?.aborted) {
        throw new TextbenchError(`The import of ${file} was cancelled; nothing was written.`, 'IMPORT_CANCELLED', { file });
      }
      for (const r of batch) {
        seen++;
        take(r);
        if (badWidth.length >= REPORT_LINES) break rows;
      }
      progress.update(table.bytesRead());
    }
    flush();

    if (badWidth.length) {
      throw new TextbenchError(
        `${file}: rows with the wrong number of fields (${table.header ? 'the header has' : 'the first line has'} ${width}: ${table.columns.join(', ')}): ${linesList(badWidth)}${badWidth.length >= REPORT_LINES ? ' and maybe more' : ''}. ` +
          `A field that contains the delimiter ("${table.delimiter === '\t' ? '\\t' : table.delimiter}") must be quoted; fix those lines and import again.`,
        'WRONG_FIELD_COUNT',
        { file, lines: badWidth.map((b) => b.line), expected: width },
      );
    }
    const splitName = cols.guess.splitColumn;
    if (badSplit.length) {
      throw new TextbenchError(
        `${file}: the split column "${splitName}" has values that are not train, validation (val, valid, dev) or test: ${linesList(badSplit)}. ` +
          'Fix those values, or import with --split none to ignore the column and make an automatic split.',
        'BAD_SPLIT_VALUE',
        { file, column: splitName, lines: badSplit.map((b) => b.line) },
      );
    }
    const labelName = cols.guess.labelColumn!;
    if (n === 0) {
      if (skippedLabel > 0 && skippedText === 0) {
        throw new TextbenchError(`${file}: every label in column "${labelName}" is empty. Pick the column that holds the labels with --label COLUMN.`, 'ALL_LABELS_EMPTY', {
          file,
          column: labelName,
        });
      }
      if (skippedText > 0 && skippedLabel === 0) {
        throw new TextbenchError(`${file}: every text in ${cols.guess.textColumns.map((c) => `"${c}"`).join(' + ')} is empty. Pick the text column with --text COLUMN.`, 'ALL_TEXTS_EMPTY', {
          file,
        });
      }
      throw new TextbenchError(
        seen === 0
          ? `${file} has a header row but no data rows. Add rows of text and label under the header.`
          : `${file}: every row has an empty text or an empty label (${skippedText} without text, ${skippedLabel} without label). Check the --text and --label columns.`,
        seen === 0 ? 'NO_ROWS' : 'NO_USABLE_ROWS',
        { file },
      );
    }
    if (skippedText) warnings.push(`${skippedText} row(s) skipped because their text is empty (first: ${linesList(emptyText)}).`);
    if (skippedLabel) warnings.push(`${skippedLabel} row(s) skipped because their label is empty (first: ${linesList(emptyLabel)}).`);
    warnings.push(...table.notes());

    const labels = [...labelIndex.keys()];

    // Looked up again: another import may have created the project while this one was reading.
    const existing = findProject(ctx.db, projectName);
    if (existing) {
      const same = datasetFromSameSource(ctx.db, existing.id, file);
      if (same) {
        warnings.push(
          `This file was already imported into project "${existing.name}" (dataset "${same}"); its rows are now in the project twice. ` +
            `If that was not intended, remove one copy: textbench datasets --delete "${same}" --yes --project "${existing.name}".`,
        );
      }
    }
    if (labels.length === 1) {
      const others = existing ? otherLabelCount(ctx.db, existing.id, labels[0]!) : 0;
      if (!others) {
        throw new TextbenchError(
          `${file}: every row has the same label ("${labels[0]}") in column "${labelName}"; a classifier needs at least two classes. Check the --label column, or import into a project that has the other classes (--project).`,
          'SINGLE_CLASS',
          { file, column: labelName, label: labels[0] },
        );
      }
    }

    const t1 = performance.now();
    // Splits: the file's column (carving out what it lacks), else stratified 80/10/10 with the seed.
    const seed = opts.seed ?? DEFAULT_SEED;
    let splitSource: ImportResult['splitSource'];
    let splits: Uint8Array;
    if (cols.split !== null) {
      splits = Uint8Array.from(rowSplits);
      const moved = carveFromTrain(rowLabels, splits, seed);
      splitSource = moved.validation || moved.test ? 'column+carved' : 'column';
      if (moved.validation) warnings.push(`The split column has no validation rows: ${moved.validation} train rows (10% of each class, seed ${seed}) were moved to validation.`);
      if (moved.test) warnings.push(`The split column has no test rows: ${moved.test} train rows (10% of each class, seed ${seed}) were moved to test.`);
    } else {
      splits = stratifiedSplit(rowLabels, seed);
      splitSource = 'auto';
    }
    stage.finish();
    const splitCounts: Record<Split, number> = { train: 0, validation: 0, test: 0 };
    for (const s of splits) splitCounts[SPLIT_CODES[s]!]++;
    if (!splitCounts.train) warnings.push('No rows are in the train split; training needs some. Check the split column, or import with --split none.');
    staging = undefined;

    const t2 = performance.now();
    // One transaction on the workspace: the project (if new), the dataset and every example, or nothing.
    const datasetId = newId('ds');
    let projectId = '';
    let datasetName = '';
    commitStaged(ctx.db, stagingFile, () => {
      const project = existing ?? createProject(ctx.db, projectName);
      projectId = project.id;
      datasetName = freeDatasetName(ctx.db, project.id, opts.datasetName?.trim() || path.basename(file));
      const dataset: Dataset = {
        id: datasetId,
        projectId: project.id,
        name: datasetName,
        sourcePath: file,
        format: table.format,
        encoding: table.currentEncoding(),
        textColumns: cols.guess.textColumns,
        labelColumn: labelName,
        splitColumn: cols.guess.splitColumn,
        splitSeed: splitSource === 'column' ? null : seed,
        rows: n,
        skipped: { emptyText: skippedText, emptyLabel: skippedLabel },
        createdAt: nowIso(),
      };
      insertDataset(ctx.db, dataset);
      return { projectId: project.id, datasetId };
    }, { deferIndex: n >= (pass.control.deferIndexRows ?? DEFER_INDEX_ROWS), splits });
    const t3 = performance.now();
    progress.finish();
    return {
      project: existing?.name ?? projectName,
      projectId,
      dataset: datasetName,
      datasetId,
      rows: n,
      skipped: skippedText + skippedLabel,
      skippedDetail: { emptyText: skippedText, emptyLabel: skippedLabel },
      labels: [...labels].sort(),
      splits: splitCounts,
      splitSource,
      seed: splitSource === 'column' ? null : seed,
      guess: cols.guess,
      format: table.format,
      encoding: table.currentEncoding(),
      warnings,
      timings: { read: (t1 - t0) / 1000, split: (t2 - t1) / 1000, commit: (t3 - t2) / 1000 },
    };
  } finally {
    table.close();
    if (staging) {
      try {
        staging.close();
      } catch (err) {
        warnings.push(`could not close the staging database: ${(err as Error).message}`);
      }
    }
    for (const f of [stagingFile, `${stagingFile}-journal`, `${stagingFile}-wal`, `${stagingFile}-shm`]) fs.rmSync(f, { force: true });
  }
}
