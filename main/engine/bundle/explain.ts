// Explanations of single predictions: only a linear model can say which n-grams moved a text to its label
// (feature value x weight adds up to its decision value exactly); other models are refused with what to use.
import type { TextExplanation } from '../../../shared/linear.ts';
import { TextbenchError } from '../errors.ts';
import type { LoadedModel } from './model-parts.ts';

/** Most texts one explain request takes: each explanation lists n-grams and word spans, meant to be read. */
export const MAX_EXPLAIN_TEXTS = 100;

export async function explainTexts(model: LoadedModel, texts: readonly string[], options: { label?: string; k?: number } = {}): Promise<TextExplanation[]> {
  if (!model.explain) {
    throw new TextbenchError(
      `This model (${model.manifest.model.type}) cannot explain its predictions: only the linear model's weights say which n-grams moved a text. Train a linear run (textbench train --model linear) to see them.`,
      'EXPLAIN_UNSUPPORTED',
      { model: model.manifest.model.type },
    );
  }
  if (texts.length > MAX_EXPLAIN_TEXTS) {
    throw new TextbenchError(`Explain at most ${MAX_EXPLAIN_TEXTS} texts at a time (got ${texts.length}); classify a file for many texts.`, 'BAD_OPTION', { field: 'texts' });
  }
  const out: TextExplanation[] = [];
  for (const text of texts) out.push(await model.explain(text, options));
  return out;
}
