// Pretrained word vectors from a local GloVe or fastText text file ("word v1 v2 … vd" per line; fastText's
// first line "count dim" is skipped). Only the words of the run's vocabulary are kept.
import fs from 'node:fs';
import readline from 'node:readline';
import { TextbenchError } from '../errors.ts';
import { mulberry32 } from './rng.ts';

export interface LoadedVectors {
  matrix: Float32Array;
  dim: number;
  /** Vocabulary entries that had a vector in the file. */
  found: number;
}

export async function loadVectors(file: string, vocabulary: readonly string[], seed: number, lowercase = true): Promise<LoadedVectors> {
  if (!fs.existsSync(file)) {
    throw new TextbenchError(`The word-vector file ${file} does not exist. Give the path of a GloVe/fastText .txt/.vec file (--vectors FILE).`, 'VECTORS_NOT_FOUND', { file });
  }
  const index = new Map(vocabulary.map((w, i) => [w, i]));
  const rows = new Map<number, Float32Array>();
  let dim = 0;
  let line = 0;
  const rl = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const raw of rl) {
    line++;
    const parts = raw.trimEnd().split(' ');
    if (line === 1 && parts.length === 2 && /^\d+$/.test(parts[0]!) && /^\d+$/.test(parts[1]!)) continue;
    if (parts.length < 2) continue;
    if (!dim) dim = parts.length - 1;
    if (parts.length - 1 !== dim) {
      rl.close();
      throw new TextbenchError(
        `${file}, line ${line}: expected a word and ${dim} numbers, found ${parts.length - 1} numbers. Is this a GloVe/fastText text file?`,
        'VECTORS_BAD_LINE',
        { file, line },
      );
    }
    const word = lowercase ? parts[0]!.toLowerCase() : parts[0]!;
    const id = index.get(word);
    if (id === undefined || id < 2 || rows.has(id)) continue;
    const v = Float32Array.from(parts.slice(1), Number);
    if (v.some((x) => !Number.isFinite(x))) {
      throw new TextbenchError(`${file}, line ${line}: the vector of "${parts[0]}" has a value that is not a number.`, 'VECTORS_BAD_LINE', { file, line });
    }
    rows.set(id, v);
  }
  if (!dim) throw new TextbenchError(`${file} has no word vectors in it.`, 'VECTORS_EMPTY', { file });
  // Words without a vector start small and random (the OOV id too); padding stays zero.
  const rand = mulberry32(seed);
  const matrix = new Float32Array(vocabulary.length * dim);
  for (let i = 1; i < vocabulary.length; i++) {
    const v = rows.get(i);
    if (v) matrix.set(v, i * dim);
    else for (let d = 0; d < dim; d++) matrix[i * dim + d] = (rand() - 0.5) * 0.1;
  }
  return { matrix, dim, found: rows.size };
}
