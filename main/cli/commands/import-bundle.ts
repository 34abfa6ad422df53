import type { Command, CommandContext } from '../command.ts';
import { str } from '../command.ts';
import { TextbenchError } from '../../engine/errors.ts';
import type { ModelEvaluation } from '../../../shared/bundle.ts';

function pct(v: number): string {
  return `${(v * 100).toFixed(1)}%`;
}

export const command: Command = {
  name: 'import-bundle',
  summary: 'add an exported bundle to the workspace as a model',
  usage: `DIR [--project P] [--name NAME] [--no-evaluate] [--backend B]

Verifies the bundle (manifest, checksums), copies it into the workspace as a model and, when a project
is named and has a test split, evaluates it there (accuracy, macro-F1, per-class metrics).
Afterwards: textbench classify --stored MODEL "text".

  --project P     the project the model belongs to and is evaluated on
  --name NAME     a name for the model (default: the bundle's name)
  --no-evaluate   skip the evaluation
  --backend B     webgpu | tensorflow-gpu | tensorflow | wasm | cpu (default: the best that loads)

With --json prints {"model": {...}, "evaluation": {...} | null}.`,
  options: {
    project: { type: 'string' },
    name: { type: 'string' },
    'no-evaluate': { type: 'boolean', default: false },
    backend: { type: 'string' },
  },
  async run(ctx) {
    try {
      return await importBundle(ctx);
    } finally {
      ctx.workbench().models.dispose();
    }
  },
};

async function importBundle(ctx: CommandContext): Promise<number> {
  {
    const dir = ctx.positionals[0];
    if (!dir || ctx.positionals.length > 1) throw new TextbenchError('Name one bundle folder: textbench import-bundle DIR [--project P].', 'USAGE');
    const wb = ctx.workbench();
    wb.models.useBackend(str(ctx.values.backend));
    const project = str(ctx.values.project);
    const model = await wb.models.importBundle(dir, project, { name: str(ctx.values.name) });
    let evaluation: ModelEvaluation | null = null;
    if (project && ctx.values['no-evaluate'] !== true) {
      try {
        evaluation = await wb.models.evaluateModel(model.id, project);
      } catch (err) {
        if (!(err instanceof TextbenchError && err.code === 'EVALUATE_NO_TEST')) throw err;
        ctx.io.err(err.message);
      }
    }
    if (ctx.json) {
      ctx.io.out(JSON.stringify({ model, evaluation }));
      return 0;
    }
    ctx.io.out(`Imported ${model.name} as model ${model.id} (${model.labels.length} labels: ${model.labels.join(', ')}).`);
    if (evaluation) {
      ctx.io.out(`Test split of ${project}: ${evaluation.examples} examples, accuracy ${pct(evaluation.accuracy)}, macro-F1 ${pct(evaluation.macroF1)}`);
      for (const c of evaluation.perClass) ctx.io.out(`  ${c.label}\tprecision ${pct(c.precision)}\trecall ${pct(c.recall)}\tF1 ${pct(c.f1)}\tsupport ${c.support}`);
      if (evaluation.unknownLabels.length) ctx.io.out(`  Labels the model never learned (counted as mistakes): ${evaluation.unknownLabels.join(', ')}`);
    }
    ctx.io.out(`Classify with: textbench classify --stored ${model.id} "some text"`);
    return 0;
  }
}
