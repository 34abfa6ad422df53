import type { Command } from '../command.ts';
import { RECIPES } from '../../engine/train/recipes.ts';
import { TextbenchError } from '../../engine/errors.ts';

/** What `textbench recipes --json` prints per recipe (the builder itself stays in the engine). */
export interface RecipeListing {
  name: string;
  title: string;
  story: string;
  description: string;
  training: Record<string, unknown>;
  pipeline: Record<string, unknown>;
}

export function listRecipes(): RecipeListing[] {
  return Object.values(RECIPES).map((r) => ({
    name: r.name,
    title: r.title,
    story: r.story,
    description: r.description,
    training: { ...(r.training ?? {}) },
    pipeline: { ...(r.pipeline ?? {}) },
  }));
}

function wrap(text: string, width = 96, indent = '    '): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width) {
      out.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(indent + line);
  return out;
}

export const command: Command = {
  name: 'recipes',
  summary: 'list the ready-made recipes for common training problems (overfitting, plateaus, collapse)',
  usage: `[NAME] [--json]

Each recipe is a well-known model for a common training problem (architecture and training settings).
Train one with \`textbench train --recipe NAME\` (options such as --lr override its settings), or put
several on one leaderboard with \`textbench compare --recipes a,b --models linear\`.`,
  options: {},
  async run(ctx) {
    const all = listRecipes();
    const name = ctx.positionals[0];
    const shown = name ? all.filter((r) => r.name === name) : all;
    if (name && !shown.length) throw new TextbenchError(`Unknown recipe "${name}". Known recipes: ${all.map((r) => r.name).join(', ')}.`, 'RECIPE_NOT_FOUND', { recipe: name });
    if (ctx.json) {
      ctx.io.out(JSON.stringify(name ? shown[0] : shown));
      return 0;
    }
    for (const r of shown) {
      const t = r.training as { optimizer?: string; learningRate?: number; batchSize?: number; loss?: string; k?: number; epochs?: number };
      ctx.io.out(`${r.name}  (${r.story})`);
      ctx.io.out(`  ${r.title}`);
      ctx.io.out(
        `  learning rate ${t.learningRate ?? '-'} · ${t.optimizer ?? 'adam'} · batch ${t.batchSize ?? '-'} · loss ${t.loss === 'topk' ? `top-k (k = ${t.k})` : 'cross-entropy'} · ${t.epochs ?? '-'} epochs` +
          (r.pipeline.tokens ? ` · ${String(r.pipeline.tokens)} tokens` : ''),
      );
      for (const l of wrap(r.description)) ctx.io.out(l);
      ctx.io.out('');
    }
    return 0;
  },
};
