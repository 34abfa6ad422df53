import readline from 'node:readline';
import type { Command, CommandContext } from '../command.ts';
import { num, str } from '../command.ts';
import { TextbenchError } from '../../engine/errors.ts';
import { BundleClassifier, ClassifyClient } from '../../engine/bundle/classify-client.ts';
import { defaultOutPath } from '../../engine/bundle/batch.ts';
import type { ClassifyFileResult } from '../../../shared/bundle.ts';
import type { Prediction, Progress } from '../../../shared/domain.ts';
import type { NgramContribution, TextExplanation } from '../../../shared/linear.ts';

async function readStdinLines(): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of readline.createInterface({ input: process.stdin, crlfDelay: Infinity })) if (line.trim()) lines.push(line);
  return lines;
}

/** N-grams shown each way per explained text. */
const EXPLAIN_K = 8;

function ngramList(items: NgramContribution[]): string {
  return items.map((g) => `${g.kind === 'char' ? `[${g.text}]` : g.text} (${g.contribution >= 0 ? '+' : ''}${g.contribution.toFixed(3)})`).join(', ');
}

function printPredictions(ctx: CommandContext, preds: Prediction[], explanations?: TextExplanation[]): void {
  preds.forEach((p, i) => {
    const why = explanations?.[i];
    if (ctx.json) {
      // The four stable fields; "long" is added only for a text that did not fit (how it was handled).
      const line: Record<string, unknown> = { text: p.text, label: p.label, probability: p.probability, probabilities: p.probabilities };
      if (p.long && p.long !== 'fits') line.long = p.long;
      if (why) line.explanation = why;
      ctx.io.out(JSON.stringify(line));
    } else {
      const note = p.long && p.long !== 'fits' ? `\t(long text: ${p.long})` : '';
      const shown = p.text.length > 80 ? `${p.text.slice(0, 77)}...` : p.text;
      ctx.io.out(`${p.label}\t${p.probability.toFixed(3)}\t${shown.replace(/\s+/g, ' ')}${note}`);
      if (why) {
        ctx.io.out(`  for ${why.label}: ${why.towards.length ? ngramList(why.towards) : '(no n-gram of this text speaks for it)'}`);
        if (why.against.length) ctx.io.out(`  against: ${ngramList(why.against)}`);
      }
    }
  });
}

function progressPrinter(ctx: CommandContext): (p: Progress) => void {
  let last = -1;
  return (p) => {
    if (!p.total) return;
    const pct = Math.floor((100 * p.done) / p.total);
    if (pct >= last + 10 || p.done === p.total) {
      last = pct;
      ctx.io.err(`${p.task}: ${pct}%`);
    }
  };
}

function printFileResult(ctx: CommandContext, r: ClassifyFileResult): void {
  if (ctx.json) {
    ctx.io.out(JSON.stringify(r));
    for (const w of r.warnings) ctx.io.err(`Note: ${w}`);
    return;
  }
  ctx.io.out(`Classified ${r.rows} rows of ${r.file} (column "${r.column}") into ${r.out}.`);
  ctx.io.out(`Labels: ${Object.entries(r.labels).map(([l, n]) => `${l} ${n}`).join(', ')}`);
  if (r.long.truncated || r.long.windows) ctx.io.out(`Long texts: ${r.long.truncated} truncated, ${r.long.windows} averaged over windows.`);
  if (r.stored) ctx.io.out(`Stored ${r.stored} predictions in the workspace.`);
  for (const w of r.warnings) ctx.io.err(`Note: ${w}`);
}

export const command: Command = {
  name: 'classify',
  summary: 'classify text or a file with a bundle or a run',
  usage: `(--bundle DIR | --run RUN | --stored MODEL) [--explain] [TEXT ...]
       (--bundle DIR | --run RUN | --stored MODEL) --file FILE [--column C] [--out OUT] [--force]

Classifies the TEXT arguments (or, with none, one text per line of stdin), or every row of a file
(CSV/TSV/JSON/JSONL/XLSX, read like \`textbench import\` reads it: encoding, delimiter and header sniffed).
The output file keeps every input column and adds predicted_label, probability, long (fits, truncated or
windows) and one p_LABEL column per label (JSONL: a probabilities object).

  --bundle DIR     an exported bundle folder; nothing is stored anywhere
  --run RUN        a run of the workspace; predictions are stored in the workspace
  --stored MODEL   a model stored in the workspace (see \`textbench models\`); predictions are stored
  --file FILE      classify every row of a file
  --column C       the text column (default: the only text column, else the one with the longest texts)
  --out OUT        output file; .jsonl writes JSON lines, .tsv tabs, else CSV (default: FILE.classified.csv)
  --force          replace OUT if it exists
  --max-cell-chars N  refuse an input cell longer than N characters (default 16777216)
  --keep-formulas  CSV/TSV output: write cells that start with = + - @ tab or CR as they are (by default they
                   get a leading ' so that a spreadsheet shows them as text instead of running them)
  --explain        linear models: under each text, the n-grams that pushed it to its label and away from it
                   (with --json, an "explanation" object: towards, against, and word spans with their shares)
  --backend B      webgpu | tensorflow-gpu | tensorflow | wasm | cpu (default: the best that loads)

With --json prints one line per text: {"text", "label", "probability", "probabilities": {label: p}}, plus
"long": "truncated" | "windows" for a text longer than the model's sequence length; with --file, one line
with the summary.`,
  options: {
    bundle: { type: 'string' },
    run: { type: 'string' },
    stored: { type: 'string' },
    // Only to say that --model names an architecture (in train); classify selects a stored model with --stored.
    model: { type: 'string' },
    file: { type: 'string' },
    column: { type: 'string' },
    out: { type: 'string', short: 'o' },
    force: { type: 'boolean', default: false },
    backend: { type: 'string' },
    'max-cell-chars': { type: 'string' },
    'keep-formulas': { type: 'boolean', default: false },
    explain: { type: 'boolean', default: false },
  },
  async run(ctx) {
    const bundle = str(ctx.values.bundle);
    const run = str(ctx.values.run);
    const model = str(ctx.values.stored);
    if (str(ctx.values.model) !== undefined) {
      throw new TextbenchError('classify selects a model stored in the workspace with --stored MODEL (see `textbench models`); --model names an architecture in `textbench train`.', 'USAGE', { field: 'model' });
    }
    if ([bundle, run, model].filter(Boolean).length !== 1) {
      throw new TextbenchError('Say which model classifies: exactly one of --bundle DIR, --run RUN or --stored MODEL.', 'USAGE');
    }
    const file = str(ctx.values.file);
    if (file && ctx.positionals.length) throw new TextbenchError('Give either TEXT arguments or --file FILE, not both.', 'USAGE');
    const explain = ctx.values.explain === true;
    if (file && explain) throw new TextbenchError('--explain explains TEXT arguments (or lines of stdin), not a --file.', 'USAGE', { field: 'explain' });
    let texts = ctx.positionals;
    if (!file && (!texts.length || (texts.length === 1 && texts[0] === '-'))) {
      if (process.stdin.isTTY) throw new TextbenchError('Nothing to classify: give TEXT arguments, --file FILE, or pipe one text per line on stdin.', 'USAGE');
      texts = await readStdinLines();
    }
    const read = ctx.values['max-cell-chars'] !== undefined ? { maxCellChars: num(ctx.values['max-cell-chars'], 'max-cell-chars') } : undefined;
    if (bundle) {
      // A bare bundle: no workspace is opened and nothing is stored. The classification worker loads and runs it,
      // as it does for the workspace's models (TensorFlow.js never loads on this thread).
      const loaded = new BundleClassifier(bundle, new ClassifyClient(str(ctx.values.backend)));
      try {
        if (file) {
          const r = await loaded.classifyFile(
            {
              file,
              out: str(ctx.values.out) ?? defaultOutPath(file),
              column: str(ctx.values.column),
              force: ctx.values.force === true,
              read,
              keepFormulas: ctx.values['keep-formulas'] === true,
            },
            progressPrinter(ctx),
          );
          printFileResult(ctx, r);
        } else {
          printPredictions(ctx, await loaded.classify(texts), explain ? await loaded.explain(texts, EXPLAIN_K) : undefined);
        }
      } finally {
        loaded.dispose();
      }
      return 0;
    }

    const wb = ctx.workbench();
    wb.models.useBackend(str(ctx.values.backend));
    const ref = run ? { run } : { model: model! };
    if (file) {
      const show = progressPrinter(ctx);
      const off = wb.onEvent((e) => {
        if (e.type === 'task.progress') show(e);
      });
      try {
        printFileResult(ctx, await wb.models.classifyFile({ ...ref, file, out: str(ctx.values.out), column: str(ctx.values.column), force: ctx.values.force === true, read, keepFormulas: ctx.values['keep-formulas'] === true }));
      } finally {
        off();
        wb.models.dispose();
      }
      return 0;
    }
    try {
      const preds = await wb.models.classify({ ...ref, texts, source: 'cli' });
      printPredictions(ctx, preds, explain ? await wb.models.explain({ ...ref, texts, k: EXPLAIN_K }) : undefined);
    } finally {
      wb.models.dispose();
    }
    return 0;
  },
};
