// loadBundle must run in someone else's Node program with nothing but @tensorflow/tfjs: walk what
// main/engine/bundle/index.ts loads at runtime and check it never reaches SQLite, Electron or the workspace.
import { describe, it, expect } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';

const repoRoot = path.resolve(import.meta.dirname, '../..');

/** Runtime imports of a module (type-only imports and exports are erased and do not count). */
function runtimeImports(file: string): string[] {
  const src = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;
  for (const m of src.matchAll(re)) if (!m[2]) out.push(m[3]!);
  for (const m of src.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]!);
  return out;
}

function closure(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [entry];
  while (todo.length) {
    const f = todo.pop()!;
    if (files.has(f)) continue;
    files.add(f);
    for (const spec of runtimeImports(f)) {
      if (spec.startsWith('.')) todo.push(path.resolve(path.dirname(f), spec));
      else packages.add(spec);
    }
  }
  return { files: [...files].map((f) => path.relative(repoRoot, f)).sort(), packages: [...packages].sort() };
}

describe('loadBundle dependencies', () => {
  it('reach only @tensorflow/tfjs, node builtins, the bundle reader, the text pipeline and layer modules', () => {
    const { files, packages } = closure(path.join(repoRoot, 'main/engine/bundle/index.ts'));
    expect(packages.filter((p) => !p.startsWith('node:'))).toEqual(['@tensorflow/tfjs']);
    // A linear bundle runs the linear model itself (TF-IDF in text/, weights and calibration): no solver state, no store.
    const linear = [/^main\/engine\/bundle\/linear\.ts$/, /^main\/engine\/train\/linear\/(model|ovr|solver|solver-wasm)\.ts$/, /^main\/engine\/evaluate\/calibration\.ts$/];
    // The linear model's stored shape: pure data without runtime imports (no SQLite).
    linear.push(/^main\/engine\/store\/linear-parts\.ts$/);
    // An ensemble bundle combines complete member bundles by temperature and weight (no training code).
    const ensemble = [/^main\/engine\/bundle\/ensemble\.ts$/, /^main\/engine\/train\/ensemble\/combine\.ts$/];
    const allowed = [...linear, ...ensemble, /^main\/engine\/bundle\/(index|reader|loader|classifier|format|selftest)\.ts$/, /^main\/engine\/text\//, /^main\/engine\/compute\/(fused-rnn|rnn-op|recurrent-twin)\.ts$/, /^main\/engine\/errors\.ts$/, /^shared\/[a-z]+\.ts$/];
    expect(files.filter((f) => !allowed.some((re) => re.test(f)))).toEqual([]);
    expect(files).toContain('main/engine/text/pipeline.ts');
    expect(files).toContain('main/engine/bundle/linear.ts');
  });
});
