// The ensemble end to end on a real workspace (a slice of UCI sentiment): two neural runs trained with one seed,
// `model: 'ensemble'` fits its own linear member on their train split, then temperatures and weights on
// validation, stores its evaluation like any run, exports one bundle folder (each member a complete bundle), and
// a fresh Node process classifies with it offline, giving the in-workspace ensemble's probabilities.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Workbench } from '../../main/engine/workbench.ts';
import { openWorkspaceDb, type Db } from '../../main/engine/store/db.ts';
import { initBackend } from '../../main/engine/compute/backend.ts';
import * as runs from '../../main/engine/store/runs.ts';
import { listSplitExamples } from '../../main/engine/store/examples.ts';
import { alignColumns, memberScores, resolveMembers } from '../../main/engine/train/ensemble/members.ts';
import { ensembleProbabilities } from '../../main/engine/train/ensemble/combine.ts';
import { uciRows } from '../unit/loop-fixtures.ts';

const exec = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, '../..');
let tmp: string;
let wb: Workbench;
let db: Db;
let members: string[] = [];

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-ensemble-'));
  const rows = uciRows();
  const slice = [...rows.filter((r) => r.split === 'train').slice(0, 300), ...rows.filter((r) => r.split === 'test').slice(0, 80)];
  const csv = path.join(tmp, 'mini.csv');
  const q = (v: string) => `"${v.replace(/"/g, '""')}"`;
  fs.writeFileSync(csv, ['text,label,split', ...slice.map((r) => [q(r.text), r.label, r.split].join(','))].join('\n') + '\n');
  wb = Workbench.open({ workspace: path.join(tmp, 'ws') });
  db = openWorkspaceDb(wb.dir);
  await wb.data.importFile(csv, { project: 'mini', text: ['text'], label: 'label', split: 'split' });
  const common = { project: 'mini', epochs: 3, embeddingDim: 16, sequenceLength: 24, backend: 'wasm' as const, seed: 5 };
  const a = await wb.training.train({ ...common, model: 'baseline', name: 'base' });
  const b = await wb.training.train({ ...common, model: 'gru', units: 8, name: 'gru' });
  expect([a.status, b.status]).toEqual(['finished', 'finished']);
  members = [a.run, b.run];
}, 300_000);

afterAll(async () => {
  db?.close();
  await wb?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('ensemble', () => {
  let ensembleRun: string;

  it('adds a linear member, fits weights on validation, evaluates like any run, and takes the best recurrent run when none is named', async () => {
    const r = await wb.training.train({ project: 'mini', model: 'ensemble', runs: members, name: 'both' });
    expect(r).toMatchObject({ status: 'finished', model: 'ensemble' });
    ensembleRun = r.run;
    const fit = runs.getRunConfig(db, r.run).ensemble!;
    expect(fit.members.map((m) => m.run)).toEqual([...members, r.run]);
    expect(fit.members.map((m) => m.model)).toEqual(['baseline', 'gru', 'linear']);
    const weights = fit.members.map((m) => m.weight);
    expect(weights.reduce((s, w) => s + w, 0)).toBeCloseTo(1, 9);
    for (const m of fit.members) {
      expect(m.weight).toBeGreaterThanOrEqual(0);
      expect(m.temperature).toBeGreaterThan(0);
      // The pool is fitted by likelihood (EM to a tolerance): not worse on validation than its best calibrated member.
      expect(fit.validationLoss).toBeLessThanOrEqual(m.validationLoss + 1e-4);
    }
    const detail = wb.training.get(r.run);
    expect(detail.test?.macroF1).toBe(r.test.macroF1);
    expect((await wb.training.evaluate(r.run, 'test')).macroF1).toBeCloseTo(r.test.macroF1, 12);

    const auto = await wb.training.train({ project: 'mini', model: 'ensemble', name: 'auto' });
    expect(auto.status).toBe('finished');
    expect(runs.getRunConfig(db, auto.run).ensemble!.members.map((m) => m.run)).toEqual([members[1], auto.run]);
  }, 300_000);

  it('refuses an ensemble as a member; its evaluation shows its linear member\'s n-grams', async () => {
    const nested = await wb.training.train({ project: 'mini', model: 'ensemble', runs: [members[0]!, ensembleRun] });
    expect(nested.error).toMatch(/is itself an ensemble/);
    const evaluation = await wb.training.evaluate(ensembleRun, 'test');
    expect(evaluation.ngrams?.length).toBeGreaterThan(0);
  }, 300_000);

  it('exports one bundle that a fresh process classifies with, giving the ensemble’s probabilities (rows sum to 1)', async () => {
    const bundle = path.join(tmp, 'ensemble-bundle');
    const out = await wb.models.exportRun(ensembleRun, bundle);
    expect(out.files).toEqual(expect.arrayContaining(['manifest.json', 'README.md', 'member-1/manifest.json', 'member-1/weights.bin', 'member-2/vocab.json', 'member-3/manifest.json']));

    const projectId = wb.projects.get('mini').id;
    const texts = listSplitExamples(db, projectId, 'test').map((e) => e.text);
    const fit = runs.getRunConfig(db, ensembleRun).ensemble!;
    await initBackend('wasm');
    const resolved = [...resolveMembers(db, projectId, members), { id: ensembleRun, model: 'linear', labels: fit.labels }];
    const parts = [];
    for (const m of resolved) parts.push(alignColumns(await memberScores(db, m, texts), m.labels, fit.labels));
    const expected = ensembleProbabilities(parts, { weights: fit.members.map((m) => m.weight), temperatures: fit.members.map((m) => m.temperature) }, fit.labels.length);

    const textsFile = path.join(tmp, 'texts.json');
    fs.writeFileSync(textsFile, JSON.stringify(texts));
    const script = path.join(tmp, 'classify.mts');
    fs.writeFileSync(
      script,
      `import fs from 'node:fs';
import { initBackend } from ${JSON.stringify(path.join(repoRoot, 'main/engine/compute/backend.ts'))};
import { loadBundle } from ${JSON.stringify(path.join(repoRoot, 'main/engine/bundle/index.ts'))};
await initBackend('wasm');
const model = await loadBundle(process.argv[2]);
const texts = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const { probabilities } = await model.scores(texts);
console.log(JSON.stringify({ labels: model.labels, probabilities: Array.from(probabilities) }));
model.dispose();
`,
    );
    const { stdout } = await exec(process.execPath, ['--import', 'tsx', script, bundle, textsFile], { cwd: repoRoot, maxBuffer: 64 << 20 });
    const fresh = JSON.parse(stdout.trim().split('\n').pop()!) as { labels: string[]; probabilities: number[] };
    expect(fresh.labels).toEqual(fit.labels);
    // Classifying by the run gives the same probabilities (the workspace exports the ensemble's bundle once).
    const byRun = await wb.models.classify({ run: ensembleRun, texts: texts.slice(0, 5) });
    byRun.forEach((p, i) => fit.labels.forEach((l, c) => expect(p.probabilities[l]).toBeCloseTo(expected[i * fit.labels.length + c]!, 5)));
    expect(fresh.probabilities).toHaveLength(expected.length);
    const C = fit.labels.length;
    for (let i = 0; i < texts.length; i++) {
      let sum = 0;
      for (let c = 0; c < C; c++) {
        sum += fresh.probabilities[i * C + c]!;
        expect(fresh.probabilities[i * C + c]!).toBeCloseTo(expected[i * C + c]!, 5);
      }
      expect(sum).toBeCloseTo(1, 6);
    }

    // A weight moved from one member to another (the weights still sum to 1, every checksum still holds) gives
    // other probabilities than the self-test recorded at export: refused.
    const manifestFile = path.join(bundle, 'manifest.json');
    const original = fs.readFileSync(manifestFile, 'utf8');
    const edited = JSON.parse(original) as { ensemble: { members: Array<{ weight: number }> }; selfTest: { texts: string[] } };
    expect(edited.selfTest.texts.length).toBeGreaterThan(0);
    const ws = edited.ensemble.members.map((m) => m.weight);
    const big = ws.indexOf(Math.max(...ws));
    const shift = Math.min(0.3, ws[big]!);
    edited.ensemble.members[big]!.weight -= shift;
    edited.ensemble.members[(big + 1) % ws.length]!.weight += shift;
    fs.writeFileSync(manifestFile, JSON.stringify(edited, null, 2));
    await expect(exec(process.execPath, ['--import', 'tsx', script, bundle, textsFile], { cwd: repoRoot })).rejects.toThrow(/The ensemble bundle .* fails its self-test/);
    fs.writeFileSync(manifestFile, original);

    // An edited member file is refused by the member's own checks; an edited member manifest by the ensemble's.
    const memberManifest = path.join(bundle, 'member-2', 'manifest.json');
    fs.appendFileSync(memberManifest, ' ');
    await expect(exec(process.execPath, ['--import', 'tsx', script, bundle, textsFile], { cwd: repoRoot })).rejects.toThrow(/member-2\/manifest.json .*changed after export/);
  }, 300_000);
});
