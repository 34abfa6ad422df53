import type { BundleManifest } from '../../../shared/bundle.ts';

function pct(v: unknown): string {
  return typeof v === 'number' && Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : 'n/a';
}

function metricLines(metrics: Record<string, unknown> | null): string[] {
  if (!metrics) return ['No metrics were recorded with this model.'];
  const lines: string[] = [];
  for (const [split, m] of Object.entries(metrics)) {
    if (typeof m !== 'object' || m === null) continue;
    const r = m as Record<string, unknown>;
    if (!('accuracy' in r) && !('macroF1' in r)) continue;
    lines.push(`| ${split} | ${pct(r.accuracy)} | ${pct(r.macroF1)} |`);
  }
  if (!lines.length) return ['No metrics were recorded with this model.'];
  return ['| split | accuracy | macro-F1 |', '|---|---|---|', ...lines];
}

/** The README.md a person who receives the folder reads first: what it predicts, how well, how to run it. */
export function bundleReadme(m: Omit<BundleManifest, 'files'>): string {
  if (m.model.type === 'linear') return linearReadme(m);
  const long =
    m.tokenizer.long === 'windows'
      ? `Texts longer than ${m.sequenceLength} tokens are split into windows and the predictions of the windows are averaged (the output says \`"long": "windows"\`).`
      : `Texts longer than ${m.sequenceLength} tokens are cut to their first ${m.sequenceLength} tokens (the output says \`"long": "truncated"\`).`;
  return `# ${m.name}

A text classifier exported by Textbench on ${m.createdAt}. It reads one text and predicts one of
${m.labels.length} labels:

${m.labels.map((l) => `- ${l}`).join('\n')}

Model: ${m.model.type}, trained${m.training.backend ? ` on the ${m.training.backend} backend` : ''}${
    m.training.run ? ` in run ${m.training.run}` : ''
  }${m.training.epoch !== null ? ` (weights of epoch ${m.training.epoch})` : ''}. Tokens: ${m.tokenizer.tokens}, ${
    m.tokenizer.lowercase ? 'lowercased' : 'case kept'
  }, vocabulary of ${m.vocabularySize}, sequence length ${m.sequenceLength}. ${long}

## How well it did

${metricLines(m.metrics).join('\n')}

Measured on the held-out splits of the training data${m.training.dataHash ? ` (data hash ${m.training.dataHash.slice(0, 12)})` : ''}.
New text that differs from the training data may score lower.

## Run it

With the Textbench command line:

    textbench classify --bundle ./this-folder "a text to classify"
    textbench classify --bundle ./this-folder --file texts.csv --column text --out labelled.csv

From your own Node program (needs only \`@tensorflow/tfjs\`, the textbench package and this folder;
no workspace, no network; run it with \`node app.mjs\`):

\`\`\`js
import { loadBundle } from 'textbench';
const model = await loadBundle('./this-folder');
const [p] = await model.classify(['a text to classify']);
console.log(p.label, p.probability, p.probabilities);
model.dispose();
\`\`\`

## Files

- \`manifest.json\`: labels, tokenizer settings, metrics, and the sha256 of every other file.
  Loading refuses a folder whose files do not match it.
- \`model.json\` + \`weights.bin\`: the network in TensorFlow.js layers format (\`tf.loadLayersModel\` reads it).
- \`${m.vocabularyFile}\`: the tokenizer settings and vocabulary the model was trained with.
`;
}

function linearSettings(config: Record<string, unknown>): string {
  const chosen = config.chosen as { featureSet?: string; loss?: string; C?: number } | undefined;
  if (!chosen) return '';
  const loss = chosen.loss === 'svm' ? 'a linear SVM (squared hinge)' : 'logistic regression';
  return ` The settings cross-validation chose: ${chosen.featureSet === 'words' ? 'word 1-2 grams' : 'word 1-2 grams and character 2-5 grams'}, ${loss}, C = ${chosen.C}.`;
}

/** The README of a linear model's bundle: TF-IDF features and weights, no network and no TensorFlow.js. */
function linearReadme(m: Omit<BundleManifest, 'files'>): string {
  return `# ${m.name}

A text classifier exported by Textbench on ${m.createdAt}. It reads one text and predicts one of
${m.labels.length} labels:

${m.labels.map((l) => `- ${l}`).join('\n')}

Model: linear, on TF-IDF n-grams (${m.tokenizer.lowercase ? 'lowercased' : 'case kept'}, vocabulary of ${m.vocabularySize} n-grams)${
    m.training.run ? `, trained in run ${m.training.run}` : ''
  }.${linearSettings(m.model.config)} Its probabilities are calibrated (a softmax temperature fitted on cross-validated
decision values). It reads the whole text (up to its first 65,536 characters).

## How well it did

${metricLines(m.metrics).join('\n')}

Validation figures are cross-validated on the training data${m.training.dataHash ? ` (data hash ${m.training.dataHash.slice(0, 12)})` : ''};
test figures come from the held-out test split. New text that differs from the training data may score lower.

## Run it

With the Textbench command line:

    textbench classify --bundle ./this-folder "a text to classify"
    textbench classify --bundle ./this-folder --explain "a text to classify"
    textbench classify --bundle ./this-folder --file texts.csv --column text --out labelled.csv

From your own Node program (needs only the textbench package and this folder: no TensorFlow.js,
no workspace, no network):

\`\`\`js
import { loadBundle } from 'textbench';
const model = await loadBundle('./this-folder');
const [p] = await model.classify(['a text to classify']);
console.log(p.label, p.probability, p.probabilities);
console.log(await model.explain('a text to classify')); // the n-grams behind the label
model.dispose();
\`\`\`

## Files

- \`manifest.json\`: labels, settings, metrics, and the sha256 of every other file.
  Loading refuses a folder whose files do not match it.
- \`model.json\`: the model's settings, labels and calibration; \`weights.bin\`: its weights, little-endian
  float32, one row per n-gram (then the intercepts), one column per one-vs-rest problem.
- \`${m.vocabularyFile}\`: the TF-IDF vocabulary (n-grams and their document frequencies) and its settings.
`;
}
