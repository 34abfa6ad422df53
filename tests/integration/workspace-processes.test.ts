// Issue 12: one workspace, several processes (the app, the CLI and `serve` at once). Writers wait their turn
// instead of failing with "database is locked"; a run is trained by one process at a time; a run whose process
// died shows as interrupted and resumes; what dead processes left beside the workspace is cleaned up at start,
// and what a live one is using is left alone. Real processes: the `textbench` binary, spawned.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Workbench } from '../../main/engine/workbench.ts';
import { openWorkspaceDb } from '../../main/engine/store/db.ts';
import { MIGRATIONS, SCHEMA_VERSION } from '../../main/engine/store/migrations.ts';
import { ownerTag, thisProcess } from '../../main/engine/store/owners.ts';
import { TextbenchError } from '../../main/engine/errors.ts';
import { repoRoot, tempDir, toCsv, writeFile } from '../fixtures/data.ts';
import { uciRows } from '../unit/loop-fixtures.ts';

const CLI = path.join(repoRoot, 'main/cli/textbench.mjs');
let dir: string;
let ws: string;

interface Done {
  code: number;
  stdout: string;
  stderr: string;
}

function textbench(args: string[]): { child: ChildProcess; done: Promise<Done> } {
  const child = spawn(process.execPath, [CLI, ...args, '--workspace', ws], { cwd: repoRoot, env: { ...process.env, TEXTBENCH_DEBUG: '' } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Done>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr }));
  });
  return { child, done };
}

/** Reads the workspace from a connection of its own (as a third process would). */
function query<T>(sql: string, ...args: unknown[]): T[] {
  const db = openWorkspaceDb(ws);
  try {
    return db.prepare(sql).all(...args) as T[];
  } finally {
    db.close();
  }
}

async function until<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 120_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Another process that takes the workspace's write lock (one write, not committed) and keeps it for `ms`. */
function holdWriteLock(ms: number): { holding: Promise<void>; released: Promise<void> } {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(process.argv[1]);
    db.exec('BEGIN IMMEDIATE');
    db.prepare("UPDATE projects SET updated_at = updated_at").run();
    require('fs').writeSync(1, 'held\\n');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(process.argv[2]));
    db.exec('COMMIT');
    db.close();`;
  const child = spawn(process.execPath, ['-e', script, path.join(ws, 'textbench.db'), String(ms)], { cwd: repoRoot });
  const holding = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
    child.on('error', reject);
    child.on('close', (code) => reject(new Error(`the lock holder exited (${code}) before holding the lock`)));
  });
  const released = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return { holding, released };
}

beforeAll(async () => {
  dir = tempDir('tb-procs-');
  ws = path.join(dir, 'ws');
  const rows = uciRows();
  const slice = [...rows.filter((r) => r.split === 'train').slice(0, 400), ...rows.filter((r) => r.split === 'test').slice(0, 100)];
  const csv = writeFile(dir, 'mini.csv', toCsv(['text', 'label', 'split'], slice.map((r) => [r.text, r.label, r.split])));
  const wb = Workbench.open({ workspace: ws });
  try {
    await wb.data.importFile(csv, { project: 'mini', text: ['text'], label: 'label', split: 'split' });
  } finally {
    await wb.close();
  }
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('several processes on one workspace', () => {
  it('three imports at the same time all succeed (one used to fail with "database is locked")', async () => {
    const big = uciRows().flatMap((r, i) => [[`${r.text} (copy ${i})`, r.label], [`${r.text} [again ${i}]`, r.label]]);
    const file = writeFile(dir, 'big.csv', toCsv(['text', 'label'], big));
    const runs = ['p1', 'p2', 'p3'].map((p) => textbench(['import', file, '--project', p, '--json']));
    const results = await Promise.all(runs.map((r) => r.done));
    for (const r of results) expect(r.stderr + r.stdout).not.toMatch(/locked|busy/i);
    expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
    expect(query<{ n: number }>("SELECT COUNT(*) AS n FROM examples e JOIN projects p ON p.id = e.project_id WHERE p.name IN ('p1','p2','p3')")[0]!.n).toBe(3 * big.length);
  });

  it('while another process holds the write lock for 7 s (a big import committing), a relabel, an import and a training all wait their turn', async () => {
    // A deferred transaction read first and then failed at its first write once the other process committed
    // (SQLITE_BUSY_SNAPSHOT: "database is locked"); and 7 s is more than the old 5 s busy timeout.
    const wb = Workbench.open({ workspace: ws });
    try {
      const id = wb.data.examples('mini', { limit: 1 }).rows[0]!.id;
      const held = holdWriteLock(7_000);
      await held.holding;
      const t0 = Date.now();
      wb.data.relabel('mini', [id], 'positive', 'tester');
      expect(Date.now() - t0).toBeGreaterThan(1000); // it waited for the lock
      await held.released;

      const again = holdWriteLock(7_000);
      await again.holding;
      const file = writeFile(dir, 'small.csv', toCsv(['text', 'label'], uciRows().slice(0, 60).map((r) => [r.text, r.label])));
      const imported = await wb.data.importFile(file, { project: 'during-lock' });
      expect(imported.rows).toBe(60);
      await again.released;

      const third = holdWriteLock(7_000);
      await third.holding;
      const result = await wb.training.train({ project: 'mini', model: 'baseline', epochs: 1, embeddingDim: 8 });
      await third.released;
      expect(result.error).toBeUndefined();
      expect(result.status).toBe('finished');
    } finally {
      await wb.close();
    }
  });

  it('a second process cannot resume a run another trains; once that process is killed the run is interrupted and resumes', async () => {
    const first = textbench(['train', '--project', 'mini', '--model', 'baseline', '--epochs', '200', '--embedding-dim', '8', '--early-stop', 'none', '--no-repair', '--name', 'long']);
    const run = await until('a checkpoint of the long run', () =>
      query<{ id: string }>("SELECT r.id FROM runs r JOIN run_checkpoints c ON c.run_id = r.id WHERE r.name = 'long' AND r.status = 'running'")[0]?.id,
    );
    const second = await textbench(['train', '--resume', run]).done;
    expect(second.code, second.stdout + second.stderr).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`Run ${run} is being trained by another Textbench process \\(pid ${first.child.pid}\\)`));
    const wb = Workbench.open({ workspace: ws });
    try {
      expect(() => wb.training.resume(run)).toThrow(TextbenchError);
      expect(wb.training.get(run).status).toBe('running');

      first.child.kill('SIGKILL');
      await first.done;
      // Seen from a process that was already open: the owner is gone, so the run is interrupted, not running.
      expect(wb.training.get(run).status).toBe('interrupted');
      expect(wb.training.list('mini').find((r) => r.id === run)!.status).toBe('interrupted');
    } finally {
      await wb.close();
    }
    const resumed = await textbench(['train', '--resume', run, '--epochs', '3', '--json']).done;
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ run, status: 'finished' });
    // Four CLI processes that each start TensorFlow.js: minutes on a loaded machine.
  }, 600_000);

  it('four processes opening a workspace that needs its migrations at the same time all open it (migrated once)', async () => {
    const old = path.join(dir, 'old-ws');
    fs.mkdirSync(old);
    const raw = openWorkspaceDb(old, MIGRATIONS.slice(0, 1));
    raw.close();
    const opens = Array.from({ length: 4 }, () => {
      const child = spawn(process.execPath, [CLI, 'projects', '--json', '--workspace', old], { cwd: repoRoot });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      return new Promise<{ code: number | null; err: string }>((resolve) => child.on('close', (code) => resolve({ code, err })));
    });
    const results = await Promise.all(opens);
    expect(results.map((r) => r.err)).toEqual(['', '', '', '']);
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    const db = openWorkspaceDb(old);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    db.close();
  });

  it('a process that opens the workspace stores interrupted for runs whose process died, and removes dead staging files only', async () => {
    // A process that is certainly gone: started, then killed.
    const gone = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    const pid = gone.pid!;
    const start = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const startTicks = start.slice(start.lastIndexOf(')') + 2).split(' ')[19]!;
    gone.kill('SIGKILL');
    await new Promise((r) => gone.on('close', r));
    const deadTag = `p${pid}-${startTicks}`;
    const deadStaging = path.join(ws, `.import-${deadTag}-abc123.db`);
    const liveStaging = path.join(ws, `.import-${ownerTag()}-def456.db`);
    fs.writeFileSync(deadStaging, 'x');
    fs.writeFileSync(`${deadStaging}-journal`, 'x');
    fs.writeFileSync(liveStaging, 'x');
    const db = openWorkspaceDb(ws);
    try {
      const project = (db.prepare("SELECT id FROM projects WHERE name = 'mini'").get() as { id: string }).id;
      db.prepare("INSERT INTO runs (id, project_id, name, model, config, status, owner, created_at) VALUES ('run-orphan', ?, 'orphan', 'baseline', '{}', 'running', ?, ?)").run(
        project,
        `${thisProcess().host}/${pid}/${startTicks}`,
        new Date().toISOString(),
      );
    } finally {
      db.close();
    }
    const wb = Workbench.open({ workspace: ws });
    try {
      expect(fs.existsSync(deadStaging)).toBe(false);
      expect(fs.existsSync(`${deadStaging}-journal`)).toBe(false);
      expect(fs.existsSync(liveStaging)).toBe(true);
      expect(query<{ status: string; owner: string | null }>("SELECT status, owner FROM runs WHERE id = 'run-orphan'")[0]).toEqual({ status: 'interrupted', owner: null });
    } finally {
      await wb.close();
      fs.rmSync(liveStaging);
    }
  });
});
