import type { Command } from '../command.ts';
import { num, str } from '../command.ts';
import type { ImportFormat, TextEncoding } from '../../../shared/domain.ts';
import type { ImportOptions } from '../../../shared/data.ts';
import { TextbenchError } from '../../engine/errors.ts';

const FORMATS: readonly ImportFormat[] = ['csv', 'tsv', 'json', 'jsonl', 'xlsx'];
const ENCODINGS: readonly TextEncoding[] = ['utf-8', 'utf-16le', 'utf-16be', 'windows-1252'];

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  if (value === undefined) return undefined;
  const v = value.toLowerCase() as T;
  if (!allowed.includes(v)) throw new TextbenchError(`--${flag} must be one of ${allowed.join(', ')}; got "${value}".`, 'BAD_OPTION');
  return v;
}

function delimiterOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const named: Record<string, string> = { tab: '\t', '\\t': '\t', comma: ',', semicolon: ';', pipe: '|' };
  const d = named[value.toLowerCase()] ?? value;
  if (d.length !== 1) throw new TextbenchError(`--delimiter takes one character or tab/comma/semicolon/pipe; got "${value}".`, 'BAD_OPTION');
  return d;
}

export const command: Command = {
  name: 'import',
  summary: 'import a CSV/TSV/JSON/JSONL/XLSX file of labelled texts into a project',
  usage: `FILE [--text COL[,COL]] [--label COL] [--split COL|none] [--project NAME] [--sheet NAME] [--seed N] [--preview]

Reads the file as a stream (any size up to --max-bytes) in one transaction: a file that fails leaves the
workspace as it was. Format, encoding (UTF-8 with or without BOM, UTF-16 with BOM, Windows-1252), delimiter
and header row are detected; the text, label and split columns are guessed from the data.

  --text COL[,COL]   text column(s); several are joined (e.g. title,description)
  --label COL        label column
  --split COL|none   column with train/validation/test (val/dev/valid) values; "none" ignores one and makes
                     a stratified 80/10/10 split (only train+test in the file: validation is carved from train)
  --project NAME     project to import into (created if missing; default: the file's name)
  --dataset NAME     name of the dataset in the project (default: the file's name)
  --sheet NAME       XLSX: the sheet to read (default: the first)
  --seed N           seed of the automatic split (default 42)
  --format F         csv, tsv, json, jsonl or xlsx (default: detected)
  --encoding E       utf-8, utf-16le, utf-16be or windows-1252 (default: detected)
  --delimiter D      CSV/TSV delimiter: a character, or tab/comma/semicolon/pipe (default: detected)
  --no-header        the first row is data, not column names (columns become column1, column2…)
  --max-bytes N      refuse files larger than N bytes (default 2 GiB)
  --max-cell-chars N refuse a cell (text) or JSON Lines line longer than N characters (default 16777216)
  --preview          only show what would be imported: format, columns, guess, first rows
--json prints {"project","dataset","rows","skipped","labels","splits"} (with --preview: the preview).`,
  options: {
    text: { type: 'string' },
    label: { type: 'string' },
    split: { type: 'string' },
    project: { type: 'string' },
    dataset: { type: 'string' },
    sheet: { type: 'string' },
    seed: { type: 'string' },
    format: { type: 'string' },
    encoding: { type: 'string' },
    delimiter: { type: 'string' },
    'no-header': { type: 'boolean' },
    'max-bytes': { type: 'string' },
    'max-cell-chars': { type: 'string' },
    preview: { type: 'boolean' },
  },
  async run(ctx) {
    const file = ctx.positionals[0];
    if (!file) throw new TextbenchError('Name the file to import: textbench import FILE.', 'NO_FILE');
    if (ctx.positionals.length > 1) throw new TextbenchError(`import takes one file; got ${ctx.positionals.length}. Import them one at a time (same --project to combine).`, 'BAD_OPTION');
    const read = {
      format: oneOf(str(ctx.values.format), FORMATS, 'format'),
      encoding: oneOf(str(ctx.values.encoding), ENCODINGS, 'encoding'),
      sheet: str(ctx.values.sheet),
      delimiter: delimiterOf(str(ctx.values.delimiter)),
      ...(ctx.values['no-header'] ? { header: false } : {}),
      ...(ctx.values['max-cell-chars'] !== undefined ? { maxCellChars: num(ctx.values['max-cell-chars'], 'max-cell-chars') } : {}),
    };
    const wb = ctx.workbench();
    if (ctx.values.preview) {
      const p = await wb.data.previewImport(file, read);
      if (ctx.json) {
        ctx.io.out(JSON.stringify(p));
        return 0;
      }
      ctx.io.out(`${p.file}: ${p.format}, ${p.encoding}${p.delimiter ? `, delimiter ${JSON.stringify(p.delimiter)}${p.quoting ? '' : ', quotes are text'}` : ''}${p.header ? '' : ', no header row'}`);
      if (p.sheets) ctx.io.out(`sheets: ${p.sheets.join(', ')} (reading "${p.sheet}")`);
      ctx.io.out(`columns: ${p.columns.join(', ')}`);
      ctx.io.out(`guess: text=${p.guess.textColumns.join(',') || '?'} label=${p.guess.labelColumn ?? '?'} split=${p.guess.splitColumn ?? 'none'}`);
      for (const [i, row] of p.cells.entries()) ctx.io.out(`${String(p.lines[i]).padStart(6)}  ${row.map((c) => (c.length > 60 ? c.slice(0, 57) + '...' : c)).join(' | ')}`);
      for (const pr of p.problems) ctx.io.err(`warning: ${pr.message}`);
      return 0;
    }
    const textOpt = str(ctx.values.text);
    const opts: ImportOptions = {
      ...read,
      ...(textOpt ? { text: textOpt.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
      ...(str(ctx.values.label) ? { label: str(ctx.values.label) } : {}),
      ...(str(ctx.values.split) ? { split: str(ctx.values.split) } : {}),
      ...(str(ctx.values.project) ? { project: str(ctx.values.project) } : {}),
      ...(str(ctx.values.dataset) ? { datasetName: str(ctx.values.dataset) } : {}),
      ...(ctx.values.seed !== undefined ? { seed: num(ctx.values.seed, 'seed') } : {}),
      ...(ctx.values['max-bytes'] !== undefined ? { maxBytes: num(ctx.values['max-bytes'], 'max-bytes') } : {}),
    };
    // Progress goes to stderr, and only to a terminal: logs and pipes get the result alone.
    const tty = process.stderr.isTTY === true;
    const off = tty
      ? wb.onEvent((e) => {
          if (e.type === 'import.progress' && e.total) process.stderr.write(`\rimporting ${Math.floor((e.done / e.total) * 100)}%`);
        })
      : () => undefined;
    let result;
    try {
      result = await wb.data.importFile(file, opts);
      // A large import leaves the search index to be built after it; a command line process ends here, so it
      // builds it now rather than leave the work to whichever process opens the workspace next.
      await wb.data.finishSearchIndex(
        tty ? (done, pending) => process.stderr.write(`\rbuilding the search index ${pending ? Math.floor((done / pending) * 100) : 100}%\x1b[K`) : undefined,
      );
    } finally {
      off();
      if (tty) process.stderr.write('\r\x1b[K');
    }
    for (const w of result.warnings) ctx.io.err(`warning: ${w}`);
    if (ctx.json) {
      const { project, dataset, rows, skipped, labels, splits } = result;
      ctx.io.out(JSON.stringify({ project, dataset, rows, skipped, labels, splits }));
      return 0;
    }
    const g = result.guess;
    ctx.io.out(`Imported ${result.rows.toLocaleString('en-US')} rows into project "${result.project}" (dataset "${result.dataset}")${result.skipped ? `, skipped ${result.skipped}` : ''}.`);
    ctx.io.out(`  read as ${result.format}, ${result.encoding}; text: ${g.textColumns.join(' + ')}; label: ${g.labelColumn}; split: ${g.splitColumn ?? `automatic 80/10/10 (seed ${result.seed})`}`);
    ctx.io.out(`  ${result.labels.length} labels; train ${result.splits.train}, validation ${result.splits.validation}, test ${result.splits.test}`);
    ctx.io.out(`Next: textbench review --project "${result.project}"`);
    return 0;
  },
};
