import fs from 'node:fs';
import path from 'node:path';
import type { Command } from '../command.ts';
import { str } from '../command.ts';
import { TextbenchError } from '../../engine/errors.ts';
import type { BundleManifest } from '../../../shared/bundle.ts';

export const command: Command = {
  name: 'export',
  summary: 'export a run as a model bundle folder',
  usage: `RUN --out DIR [--force] [--checkpoint best|last]

Writes DIR with manifest.json (labels, tokenizer settings, metrics, sha256 of every file), model.json +
weights.bin (TensorFlow.js layers format), vocab.json and a README.md for whoever receives it.
The folder is written beside DIR first and renamed into place, so a failed export leaves nothing behind.

  --out DIR             the bundle folder to create
  --force               replace DIR if it exists
  --checkpoint KIND     best (default: the epoch early stopping kept) or last

With --json prints {"bundle": DIR, "files": [...], "sha256": {file: hash}}.`,
  options: { out: { type: 'string', short: 'o' }, force: { type: 'boolean', default: false }, checkpoint: { type: 'string' } },
  async run(ctx) {
    const run = ctx.positionals[0];
    const out = str(ctx.values.out);
    if (!run || ctx.positionals.length > 1) throw new TextbenchError('Name one run to export: textbench export RUN --out DIR.', 'USAGE');
    if (!out) throw new TextbenchError('Say where the bundle goes: textbench export RUN --out DIR.', 'USAGE');
    const checkpoint = str(ctx.values.checkpoint);
    if (checkpoint !== undefined && checkpoint !== 'best' && checkpoint !== 'last') {
      throw new TextbenchError(`--checkpoint must be "best" or "last", not "${checkpoint}".`, 'USAGE');
    }
    const wb = ctx.workbench();
    let result;
    try {
      result = await wb.models.exportRun(run, out, { force: ctx.values.force === true, checkpoint });
    } finally {
      wb.models.dispose();
    }
    if (ctx.json) {
      ctx.io.out(JSON.stringify(result));
    } else {
      const manifest = JSON.parse(fs.readFileSync(path.join(result.bundle, 'manifest.json'), 'utf8')) as BundleManifest;
      ctx.io.out(`Exported run ${manifest.training.run ?? run} (${manifest.labels.length} labels: ${manifest.labels.join(', ')}) to ${result.bundle}`);
      for (const f of result.files) ctx.io.out(`  ${f}  sha256 ${result.sha256[f]}`);
      ctx.io.out(`Classify with: textbench classify --bundle ${result.bundle} "some text"`);
    }
    return 0;
  },
};
