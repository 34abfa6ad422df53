// A bundle's self-test: a few texts and the probabilities the model gave them at export, written into the
// manifest and checked at every load. Checksums prove each file is the one exported; the self-test proves the
// files agree with each other: a manifest whose labels were reordered, whose output kind was changed, or a
// vocabulary from another export gives other probabilities and is refused. Every bundle kind goes through
// checkSelfTest (loader.ts), whatever computes its scores.
import type { BundleManifest, BundleSelfTest } from '../../../shared/bundle.ts';
import type { PipelineJSON } from '../text/types.ts';
import { TextbenchError } from '../errors.ts';

/**
 * Largest difference allowed between a probability at export and at load. Backends differ in float32
 * rounding (tfjs cpu, wasm and tfjs-node agree to about 1e-6 on these models); a changed label order or a
 * softmax applied twice moves probabilities by far more than this.
 */
export const SELF_TEST_TOLERANCE = 1e-3;

/** Sentences for pipelines without a vocabulary (hashed n-grams): words in English and Polish, and digits. */
const GENERIC = ['The quick brown fox jumps over the lazy dog.', 'Zażółć gęślą jaźń, księgowa w szpitalu.', 'Senior accountant, 5 years, 40 hours a week'];

/**
 * Texts for the self-test, made from what the bundle already holds (label names, vocabulary tokens), so that
 * nothing of the training data goes into the manifest beyond what vocab.json has.
 */
export function selfTestTexts(pipeline: PipelineJSON, labels: readonly string[]): string[] {
  const texts = [labels.join(' ')];
  const tokens = pipeline.vocabulary.length ? pipeline.vocabulary.slice(2) : tfidfWordTerms(pipeline);
  if (!tokens.length) return [...texts, ...GENERIC];
  const join = pipeline.options.tokens === 'chars' ? '' : ' ';
  for (const [offset, step] of [
    [0, 1],
    [3, 7],
    [11, 13],
  ] as const) {
    const words: string[] = [];
    for (let j = 0; j < 12; j++) words.push(tokens[(offset + j * step) % tokens.length]!);
    texts.push(words.join(join));
  }
  return texts;
}

/** A linear model's pipeline has no sequence vocabulary: its TF-IDF word n-grams (pipeline.extra.tfidf) serve instead. */
function tfidfWordTerms(pipeline: PipelineJSON): string[] {
  const terms = (pipeline.extra?.tfidf as { words?: { terms?: unknown } } | undefined)?.words?.terms;
  return Array.isArray(terms) ? terms.filter((t): t is string => typeof t === 'string') : [];
}

/** The self-test to write into a manifest: the texts and each one's probability per label name. */
export function makeSelfTest(texts: string[], probabilities: ArrayLike<number>, labels: readonly string[]): BundleSelfTest {
  const rows = texts.map((_, i) => Object.fromEntries(labels.map((l, j) => [l, probabilities[i * labels.length + j]!])));
  return { texts, probabilities: rows, tolerance: SELF_TEST_TOLERANCE };
}

/** The self-test of a loaded model: its probabilities on the texts selfTestTexts makes from its own pipeline and labels. */
export async function computeSelfTest(
  model: { scores(texts: readonly string[]): Promise<{ probabilities: ArrayLike<number> }> },
  pipeline: PipelineJSON,
  labels: readonly string[],
): Promise<BundleSelfTest> {
  const texts = selfTestTexts(pipeline, labels);
  return makeSelfTest(texts, (await model.scores(texts)).probabilities, labels);
}

function failed(origin: string, why: string, details: Record<string, unknown>): TextbenchError {
  return new TextbenchError(
    `${origin} fails its self-test: ${why} Its parts do not belong together (the label order, the output kind or the vocabulary ` +
      'in the manifest were changed, or files come from different exports). Export the model again with `textbench export RUN --out DIR`.',
    'BUNDLE_SELF_TEST_FAILED',
    { origin, ...details },
  );
}

/**
 * Refuses parts that do not reproduce their self-test: each label's probability (by name) on each text must be
 * within the tolerance of the one recorded at export. `scores` runs the loaded model (texts x labels, in the
 * manifest's label order).
 */
export async function checkSelfTest(
  manifest: Pick<BundleManifest, 'selfTest' | 'labels'>,
  origin: string,
  scores: (texts: string[]) => Promise<ArrayLike<number>>,
): Promise<void> {
  const t = manifest.selfTest;
  if (!t) return;
  const labels = manifest.labels;
  let probs: ArrayLike<number>;
  try {
    probs = await scores(t.texts);
  } catch (err) {
    // A vocabulary larger than the network's embedding, say: the model cannot even run on its own texts.
    throw failed(origin, `its model cannot classify the self-test texts (${(err as Error).message.split('\n')[0]}).`, {});
  }
  let worst = { text: 0, label: '', got: 0, want: 0, diff: -1 };
  for (let i = 0; i < t.texts.length; i++) {
    labels.forEach((label, j) => {
      const got = probs[i * labels.length + j]!;
      const want = t.probabilities[i]![label]!;
      const diff = Number.isFinite(got) ? Math.abs(got - want) : Infinity;
      if (diff > worst.diff) worst = { text: i, label, got, want, diff };
    });
  }
  if (worst.diff > t.tolerance) {
    const text = t.texts[worst.text]!;
    throw failed(
      origin,
      `for the text "${text.length > 60 ? `${text.slice(0, 57)}...` : text}" it gives "${worst.label}" a probability of ${worst.got.toFixed(4)}, where the export recorded ${worst.want.toFixed(4)}.`,
      { text: worst.text, label: worst.label, probability: worst.got, expected: worst.want },
    );
  }
}

/** Checks a manifest's self-test field is well formed: texts, and for each one a probability for every label. */
export function selfTestShapeProblem(value: unknown, labels: readonly string[]): string | null {
  if (value === undefined) return null;
  const t = value as Partial<BundleSelfTest> | null;
  if (typeof t !== 'object' || t === null) return 'must be an object';
  if (!Array.isArray(t.texts) || !t.texts.length || t.texts.length > 64 || !t.texts.every((x) => typeof x === 'string' && x.length <= 10_000)) return 'texts must list 1 to 64 texts';
  if (!Array.isArray(t.probabilities) || t.probabilities.length !== t.texts.length) return 'probabilities must have one entry per text';
  for (const row of t.probabilities) {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) return 'each probabilities entry must map label names to probabilities';
    const keys = Object.keys(row);
    if (keys.length !== labels.length || !labels.every((l) => typeof (row as Record<string, unknown>)[l] === 'number')) return 'each probabilities entry must give a probability for every label';
    if (!keys.every((k) => { const p = (row as Record<string, number>)[k]!; return p >= 0 && p <= 1; })) return 'probabilities must be from 0 to 1';
  }
  if (typeof t.tolerance !== 'number' || !(t.tolerance > 0 && t.tolerance < 0.5)) return 'tolerance must be a number between 0 and 0.5';
  return null;
}
