// `npm run bench quality`: what a user gets from each preset with default settings and `--seed 1` on the dev
// tasks, through a real workspace and the training worker: test macro-F1 and training wall time per preset and
// task, with scikit-learn's TF-IDF + LinearSVC / LogisticRegression (tests/bench/linear_sklearn.py) beside it.
//
// Training every preset on every task takes hours on a loaded 2-core machine, so the subset is chosen by env:
//   QUALITY_TASKS=uci,jobs,tasks                                   (default: all three)
//   QUALITY_PRESETS=baseline,gru,lstm,bigru,bilstm,linear,ensemble (default: all; the ensemble combines the
//                                                                   recurrent runs trained before it, so list it last)
//   QUALITY_SEED=1                                                 (default 1)
//   QUALITY_WORKSPACE=DIR   keep the workspaces there (default: a temp folder, deleted at the end). A cell whose run
//                           (named "quality PRESET seed N") already finished in DIR is reported from the stored run
//                           (its metrics and its own start-to-finish time) instead of trained again, so a long table
//                           can be filled over several invocations, e.g. the ensemble after the recurrent runs.
//   QUALITY_SKLEARN=0       leave out the scikit-learn reference.
// Each cell is printed as soon as it is measured; the whole table is printed at the end.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Workbench } from '../../main/engine/workbench.ts';
import type { ModelName, RunSummary } from '../../shared/training.ts';
import { datasets } from '../fixtures/data.ts';

interface Task {
  key: string;
  name: string;
  file: string;
  text: string;
  label: string;
}

const TASKS: Task[] = [
  { key: 'uci', name: 'UCI sentiment', file: 'uci_sentiment_labelled_sentences/uci_sentiment.csv', text: 'text', label: 'label' },
  { key: 'jobs', name: 'O*NET jobs', file: 'onet_tasks/onet_jobs.csv', text: 'description', label: 'major_group' },
  { key: 'tasks', name: 'O*NET task sentences', file: 'onet_tasks/onet_tasks_split.csv', text: 'task', label: 'major_group' },
];

const PRESETS: ModelName[] = ['baseline', 'gru', 'lstm', 'bigru', 'bilstm', 'linear', 'ensemble'];

interface Cell {
  macroF1: number;
  seconds: number;
  note: string;
}

function pick<T extends string>(env: string | undefined, all: readonly T[], what: string): T[] {
  if (!env) return [...all];
  const asked = env.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = asked.filter((a) => !all.includes(a as T));
  if (unknown.length) throw new Error(`${what}: unknown ${unknown.join(', ')}; choose from ${all.join(', ')}`);
  return asked as T[];
}

function runSeconds(r: RunSummary): number {
  return r.startedAt && r.finishedAt ? (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000 : NaN;
}

function sklearn(t: Task): string {
  try {
    const sk = JSON.parse(
      execFileSync('/usr/bin/python3', [path.join(import.meta.dirname, 'linear_sklearn.py'), path.join(datasets, t.file), t.text, t.label], {
        encoding: 'utf8',
        env: { ...process.env, OMP_NUM_THREADS: '1' },
      }),
    ) as { svm: { macroF1: number }; lr: { macroF1: number } };
    return `${sk.svm.macroF1.toFixed(3)} / ${sk.lr.macroF1.toFixed(3)}`;
  } catch (err) {
    return `not measured (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`;
  }
}

async function measureTask(t: Task, presets: readonly ModelName[], seed: number, root: string, table: Map<string, Cell | string>): Promise<void> {
  const wb = Workbench.open({ workspace: path.join(root, `ws-${t.key}`) });
  try {
    if (!wb.projects.list().some((p) => p.name === t.key)) {
      await wb.data.importFile(path.join(datasets, t.file), { project: t.key, text: [t.text], label: t.label, split: 'split' });
    }
    for (const preset of presets) {
      const name = `quality ${preset} seed ${seed}`;
      const done = wb.training.list(t.key).find((r) => r.name === name && r.status === 'finished' && r.test);
      let cell: Cell | string;
      if (done) {
        cell = { macroF1: done.test!.macroF1, seconds: runSeconds(done), note: 'kept from an earlier invocation' };
      } else {
        const started = performance.now();
        try {
          const r = await wb.training.train({ project: t.key, model: preset, seed, name });
          const seconds = (performance.now() - started) / 1000;
          cell = r.status === 'finished' ? { macroF1: r.test.macroF1, seconds, note: `validation ${r.validation.macroF1.toFixed(3)}, ${r.epochs} epochs` } : `${r.status}`;
        } catch (err) {
          cell = `failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
        }
      }
      if (preset === 'ensemble' && typeof cell !== 'string') {
        const run = wb.training.list(t.key).find((r) => r.name === name);
        const fit = run ? (wb.training.get(run.id).config as { ensemble?: { members: Array<{ name: string; model: string; weight: number }> } }).ensemble : undefined;
        if (fit) cell.note += `; members ${fit.members.map((m) => `${m.model} ${m.weight.toFixed(2)}`).join(', ')}`;
      }
      table.set(`${preset}|${t.key}`, cell);
      console.log(`${t.name} · ${preset}: ${typeof cell === 'string' ? cell : `test macro-F1 ${cell.macroF1.toFixed(3)} in ${cell.seconds.toFixed(0)} s (${cell.note})`}`);
    }
  } finally {
    await wb.close();
  }
}

export async function run(): Promise<void> {
  const tasks = pick(process.env.QUALITY_TASKS, TASKS.map((t) => t.key), 'QUALITY_TASKS').map((k) => TASKS.find((t) => t.key === k)!);
  const presets = pick(process.env.QUALITY_PRESETS, PRESETS, 'QUALITY_PRESETS');
  const seed = Number(process.env.QUALITY_SEED ?? 1);
  const kept = process.env.QUALITY_WORKSPACE;
  const root = kept ? path.resolve(kept) : fs.mkdtempSync(path.join(os.tmpdir(), 'tb-bench-quality-'));
  fs.mkdirSync(root, { recursive: true });
  console.log(`presets ${presets.join(', ')} with default settings and seed ${seed} on ${tasks.map((t) => t.name).join(', ')}; workspaces in ${root}`);
  const table = new Map<string, Cell | string>();
  const reference = new Map<string, string>();
  try {
    for (const t of tasks) {
      if (process.env.QUALITY_SKLEARN !== '0') {
        reference.set(t.key, sklearn(t));
        console.log(`${t.name} · scikit-learn TF-IDF + LinearSVC / LogisticRegression: ${reference.get(t.key)}`);
      }
      await measureTask(t, presets, seed, root, table);
    }
  } finally {
    if (!kept) fs.rmSync(root, { recursive: true, force: true });
  }
  console.log('\nTest macro-F1 (training wall time), default settings, seed ' + seed + ':\n');
  console.log(`| preset | ${tasks.map((t) => t.name).join(' | ')} |`);
  console.log(`|---|${tasks.map(() => '---:').join('|')}|`);
  for (const p of presets) {
    const cells = tasks.map((t) => {
      const c = table.get(`${p}|${t.key}`);
      return c === undefined ? 'not measured' : typeof c === 'string' ? c : `${c.macroF1.toFixed(3)} (${c.seconds.toFixed(0)} s)`;
    });
    console.log(`| ${p} | ${cells.join(' | ')} |`);
  }
  if (reference.size) console.log(`| sklearn SVM / LR | ${tasks.map((t) => reference.get(t.key) ?? 'not measured').join(' | ')} |`);
}
