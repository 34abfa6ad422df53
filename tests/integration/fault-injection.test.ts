// Issue 12: kill -9 the CLI at seeded random moments inside an import, a training and an export --force (a
// bounded number of rounds), then check that the workspace is intact (PRAGMA integrity_check), that every
// committed row and run is as it was, that nothing is half-written (an import is all or nothing, a run's
// epochs and its checkpoint agree, a bundle folder is whole or absent), that the next command cleans up what
// the dead process left, and that it works.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Workbench } from '../../main/engine/workbench.ts';
import { openWorkspaceDb } from '../../main/engine/store/db.ts';
import { loadBundle } from '../../main/engine/bundle/index.ts';
import { mulberry32 as rng } from '../../main/engine/random.ts';
import { repoRoot, tempDir, toCsv, writeFile } from '../fixtures/data.ts';
import { uciRows } from '../unit/loop-fixtures.ts';

const CLI = path.join(repoRoot, 'main/cli/textbench.mjs');
let dir: string;
let ws: string;
let bigCsv: string;
let bigRows: number;
let finishedRun: string;
let snapshot: string;

const random = rng(8_012);

function q<T>(sql: string, ...args: unknown[]): T[] {
  const db = openWorkspaceDb(ws);
  try {
    return db.prepare(sql).all(...args) as T[];
  } finally {
    db.close();
  }
}

/** Everything committed before the kills: rows of the base project, the finished run with its epochs and weights. */
function committed(): string {
  const examples = q<{ n: number; h: string }>(
    "SELECT COUNT(*) AS n, group_concat(e.id || ':' || e.label || ':' || length(e.text), ',') AS h FROM examples e JOIN projects p ON p.id = e.project_id WHERE p.name = 'base'",
  )[0]!;
  const run = q<Record<string, unknown>>('SELECT status, epochs, best_epoch, metrics, finished_at FROM runs WHERE id = ?', finishedRun)[0];
  const epochs = q<{ n: number }>('SELECT COUNT(*) AS n FROM run_epochs WHERE run_id = ?', finishedRun)[0]!.n;
  const weights = q<{ n: number }>('SELECT SUM(length(weights)) AS n FROM run_checkpoints WHERE run_id = ?', finishedRun)[0]!.n;
  return JSON.stringify({ n: examples.n, h: examples.h, run, epochs, weights });
}

function integrity(): string {
  return q<{ integrity_check: string }>('PRAGMA integrity_check')[0]!.integrity_check;
}

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stdout: string;
  /** ms from the marker (the work visibly started) to the exit or the kill. */
  afterMarkerMs: number | null;
}

/**
 * Runs the CLI; once `marker()` is true (the work has visibly started), waits `killAfterMs` and kills it with
 * SIGKILL (no handler runs, as with a power cut for this process). killAfterMs = null lets it finish.
 */
async function cli(args: string[], marker: () => boolean, killAfterMs: number | null): Promise<Outcome> {
  const child = spawn(process.execPath, [CLI, ...args, '--workspace', ws], { cwd: repoRoot, env: { ...process.env, TEXTBENCH_DEBUG: '' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  let markedAt: number | null = null;
  let over = false;
  void exited.then(() => (over = true));
  while (!over && markedAt === null) {
    if (marker()) markedAt = Date.now();
    else await new Promise((r) => setTimeout(r, 15));
  }
  if (markedAt !== null && killAfterMs !== null && !over) {
    await Promise.race([new Promise((r) => setTimeout(r, killAfterMs)), exited]);
    if (!over) child.kill('SIGKILL');
  }
  const { code, signal } = await exited;
  return { code, signal, stdout, stderr, afterMarkerMs: markedAt === null ? null : Date.now() - markedAt };
}

function stagingFiles(): string[] {
  return fs.readdirSync(ws).filter((n) => n.startsWith('.import-'));
}

function beside(target: string): string[] {
  const base = path.basename(target);
  return fs.readdirSync(path.dirname(target)).filter((n) => n.startsWith(`.${base}.`));
}

/** What the next process does first: open the workspace (cleanup runs there). */
async function nextOpen(): Promise<Workbench['recovered']> {
  const wb = Workbench.open({ workspace: ws });
  const recovered = wb.recovered;
  await wb.close();
  return recovered;
}

beforeAll(async () => {
  dir = tempDir('tb-faults-');
  ws = path.join(dir, 'ws');
  const rows = uciRows();
  const base = writeFile(dir, 'base.csv', toCsv(['text', 'label', 'split'], rows.map((r) => [r.text, r.label, r.split])));
  // A file big enough that its import takes a while (so kills land in the reading, staging and committing).
  const big = Array.from({ length: 3 }, (_, k) => rows.map((r, i) => [`${r.text} (${k}.${i})`, r.label])).flat();
  bigRows = big.length;
  bigCsv = writeFile(dir, 'big.csv', toCsv(['text', 'label'], big));
  const wb = Workbench.open({ workspace: ws });
  try {
    await wb.data.importFile(base, { project: 'base', text: ['text'], label: 'label', split: 'split' });
    const r = await wb.training.train({ project: 'base', model: 'baseline', epochs: 2, embeddingDim: 8, backend: 'wasm' });
    expect(r.status).toBe('finished');
    finishedRun = r.run;
  } finally {
    await wb.close();
  }
  snapshot = committed();
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('kill -9 at random moments', () => {
  it('during imports: each import is all or nothing, staging files are removed by the next process, the next import works', async () => {
    const ref = await cli(['import', bigCsv, '--project', 'imp-ref'], () => stagingFiles().length > 0, null);
    expect(ref.code, ref.stderr).toBe(0);
    const span = Math.max(200, ref.afterMarkerMs ?? 1000);
    const kills: number[] = [];
    for (let round = 0; round < 3; round++) {
      const project = `imp-${round}`;
      const at = Math.floor(random() * span * 1.1);
      const out = await cli(['import', bigCsv, '--project', project], () => stagingFiles().length > 0, at);
      kills.push(at);
      expect(integrity()).toBe('ok');
      const n = q<{ n: number }>('SELECT COUNT(*) AS n FROM examples e JOIN projects p ON p.id = e.project_id WHERE p.name = ?', project)[0]!.n;
      const datasets = q<{ n: number }>('SELECT COUNT(*) AS n FROM datasets d JOIN projects p ON p.id = d.project_id WHERE p.name = ?', project)[0]!.n;
      // All rows and their dataset, or none of either.
      expect([0, bigRows], `round ${round}, killed ${at} ms in (${out.signal ?? out.code})`).toContain(n);
      expect(datasets).toBe(n ? 1 : 0);
      await nextOpen();
      expect(stagingFiles()).toEqual([]);
      expect(committed()).toBe(snapshot);
    }
    console.log('import kills (ms after staging began):', kills.join(', '), 'of', span);
    const after = await cli(['import', bigCsv, '--project', 'imp-after'], () => false, null);
    expect(after.code, after.stderr).toBe(0);
    expect(stagingFiles()).toEqual([]);
  }, 600_000);

  it('during trainings: a killed run becomes interrupted, its epochs and checkpoint agree, and it resumes', async () => {
    const args = ['train', '--project', 'base', '--model', 'baseline', '--epochs', '4', '--embedding-dim', '8', '--early-stop', 'none', '--no-repair', '--backend', 'wasm'];
    const runsBefore = new Set(q<{ id: string }>('SELECT id FROM runs').map((r) => r.id));
    const newRun = () => q<{ id: string }>('SELECT id FROM runs').find((r) => !runsBefore.has(r.id))?.id;
    const ref = await cli([...args, '--name', 'ref'], () => newRun() !== undefined, null);
    expect(ref.code, ref.stderr).toBe(0);
    runsBefore.add(newRun()!);
    const span = Math.max(500, ref.afterMarkerMs ?? 5000);
    let resumable: string | undefined;
    for (let round = 0; round < 2; round++) {
      const at = Math.floor(random() * span);
      const out = await cli([...args, '--name', `kill-${round}`], () => newRun() !== undefined, at);
      const run = newRun();
      expect(integrity()).toBe('ok');
      if (run) {
        runsBefore.add(run);
        const recovered = await nextOpen();
        const [r] = q<{ status: string; owner: string | null }>('SELECT status, owner FROM runs WHERE id = ?', run);
        if (out.signal === 'SIGKILL') {
          expect(r!.status, `round ${round}: killed ${at} ms after the run was created`).toMatch(/^(interrupted|finished)$/);
          if (r!.status === 'interrupted') expect(recovered.interruptedRuns).toContain(run);
        }
        // An interrupted run belongs to nobody, so any process may resume it.
        if (r!.status === 'interrupted') expect(r!.owner).toBeNull();
        // One transaction writes an epoch's curve point and its checkpoint: they agree after any kill.
        const last = q<{ epoch: number }>("SELECT epoch FROM run_checkpoints WHERE run_id = ? AND kind = 'last'", run)[0]?.epoch ?? 0;
        const maxEpoch = q<{ m: number | null }>('SELECT MAX(epoch) AS m FROM run_epochs WHERE run_id = ?', run)[0]!.m ?? 0;
        expect(maxEpoch).toBe(last);
        if (r!.status === 'interrupted' && last > 0) resumable = run;
      }
      expect(committed()).toBe(snapshot);
    }
    if (resumable) {
      const resumed = await cli(['train', '--resume', resumable, '--json'], () => false, null);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(JSON.parse(resumed.stdout)).toMatchObject({ run: resumable, status: 'finished' });
    }
  }, 600_000);

  it('during export --force over a bundle: the bundle is always whole (old or new), leftovers go with the next export', async () => {
    const target = path.join(dir, 'bundle');
    const first = await cli(['export', finishedRun, '--out', target], () => false, null);
    expect(first.code, first.stderr).toBe(0);
    const expected = (await loadBundle(target)).labels;
    const ref = await cli(['export', finishedRun, '--out', target, '--force'], () => beside(target).length > 0, null);
    expect(ref.code, ref.stderr).toBe(0);
    const span = Math.max(100, ref.afterMarkerMs ?? 1000);
    for (let round = 0; round < 2; round++) {
      const at = Math.floor(random() * span * 1.1);
      await cli(['export', finishedRun, '--out', target, '--force'], () => beside(target).length > 0, at);
      expect(integrity()).toBe('ok');
      // Killed between the two renames, the user's bundle sits in a dead process's .old folder: the next
      // export puts it back before anything else, so it is never lost.
      const whole = fs.existsSync(target) || beside(target).some((n) => n.includes('.old-'));
      expect(whole, `round ${round}: ${beside(target).join(', ')}`).toBe(true);
      expect(committed()).toBe(snapshot);
    }
    const next = await cli(['export', finishedRun, '--out', target, '--force'], () => false, null);
    expect(next.code, next.stderr).toBe(0);
    expect(beside(target)).toEqual([]);
    expect((await loadBundle(target)).labels).toEqual(expected);
  }, 600_000);
});
