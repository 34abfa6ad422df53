// The data commands through the real `textbench` binary (node main/cli/textbench.mjs), as a user runs them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ONET_SPLIT, repoRoot, sentimentRows, tempDir, toCsv, writeFile } from '../fixtures/data.ts';
import { main } from '../../main/cli/index.ts';

let workspace: string;
let files: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function textbench(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'main/cli/textbench.mjs'), ...args], {
      cwd: repoRoot,
      env: { ...process.env, TEXTBENCH_WORKSPACE: workspace },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** The same CLI in-process (no process start-up per call); the spawned binary is exercised by the tests above it. */
async function inProcess(...args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main([...args, '--workspace', workspace], { out: (l) => (stdout += l + '\n'), err: (l) => (stderr += l + '\n') });
  return { code, stdout, stderr };
}

beforeAll(() => {
  workspace = tempDir('tb-cli-ws-');
  files = tempDir('tb-cli-files-');
});
afterAll(() => {
  fs.rmSync(workspace, { recursive: true, force: true });
  fs.rmSync(files, { recursive: true, force: true });
});

describe('textbench data commands', () => {
  it('import onet_tasks_split.csv --json: 19,450 rows, 22 labels, the split column honoured; only JSON on stdout', async () => {
    const r = await textbench('import', ONET_SPLIT, '--text', 'task', '--label', 'major_group', '--json');
    expect(r.stderr).not.toMatch(/Error|at .*\.ts/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(['project', 'dataset', 'rows', 'skipped', 'labels', 'splits']);
    expect(out.project).toBe('onet_tasks_split');
    expect(out.dataset).toBe('onet_tasks_split.csv');
    expect(out.rows).toBe(19_450);
    expect(out.skipped).toBe(0);
    expect(out.labels).toHaveLength(22);
    // The file marks 3,754 rows test and 15,696 train; validation is carved out of train (stratified).
    const splits = out.splits as Record<string, number>;
    expect(splits.test).toBe(3754);
    expect(splits.train + splits.validation).toBe(15_696);
    expect(splits.validation).toBeGreaterThan(1400);
    expect(r.stderr).toMatch(/moved to validation/);
  });

  it('review --json has duplicates, conflicts and classes', async () => {
    const r = await textbench('review', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { duplicates: number; conflicts: number; classes: { label: string; count: number }[] };
    expect(out.duplicates).toBe(1100);
    expect(out.conflicts).toBe(67);
    expect(out.classes).toHaveLength(22);
    expect(out.classes[0]).toMatchObject({ label: 'Production', count: 2344 });
    const human = await inProcess('review', '--project', 'onet_tasks_split');
    expect(human.stdout).toMatch(/Same text, different labels \(conflicts\): 67/);
  });

  it('examples, relabel and undo', async () => {
    const ex = await inProcess('examples', '--flag', 'conflicts', '--limit', '3', '--json');
    expect(ex.code).toBe(0);
    const page = JSON.parse(ex.stdout) as { total: number; rows: { id: number; label: string }[] };
    expect(page.total).toBe(67);
    expect(page.rows).toHaveLength(3);
    const ids = page.rows.map((e) => e.id).join(',');
    const rl = await inProcess('relabel', '--ids', ids, '--to', 'Legal', '--json');
    expect(rl.code).toBe(0);
    const res = JSON.parse(rl.stdout) as { batchId: string; changed: number };
    expect(res.changed).toBeGreaterThan(0);
    const edited = JSON.parse((await inProcess('examples', '--flag', 'edited', '--json')).stdout) as { total: number };
    expect(edited.total).toBe(res.changed);
    const undo = JSON.parse((await inProcess('relabel', '--undo', '--json')).stdout) as { batchId: string; reverted: number };
    expect(undo).toMatchObject({ batchId: res.batchId, reverted: res.changed });
    const text = await inProcess('examples', '--search', 'budget', '--label', 'Management', '--limit', '2');
    expect(text.stdout.trim().split('\n')).toHaveLength(2);
    expect(text.stderr).toMatch(/rows 1-2 of \d+/);
  });

  it('datasets and --help', async () => {
    const ds = JSON.parse((await inProcess('datasets', '--json')).stdout) as { name: string; rows: number; splitColumn: string }[];
    expect(ds).toEqual([expect.objectContaining({ name: 'onet_tasks_split.csv', rows: 19_450, splitColumn: 'split' })]);
    for (const cmd of ['import', 'datasets', 'review', 'examples', 'relabel']) {
      const h = await inProcess(cmd, '--help');
      expect(h.code, cmd).toBe(0);
      expect(h.stdout).toContain(`Usage: textbench ${cmd}`);
    }
  });

  it('a bad file: non-zero exit, one line on stderr naming the file, nothing on stdout, workspace unchanged', async () => {
    const before = JSON.parse((await inProcess('projects', '--json')).stdout) as unknown[];
    const rows = sentimentRows(10).map(([t, l]) => `${t.replace(/,/g, '')},${l}`);
    rows[2] = 'x,y,z';
    const file = writeFile(files, 'broken.csv', ['text,label', ...rows].join('\n') + '\n');
    const r = await textbench('import', file, '--json');
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(/line 4 \(3 fields\)/);
    expect(JSON.parse((await inProcess('projects', '--json')).stdout)).toEqual(before);
  });

  it('import --preview shows the guess without importing', async () => {
    const file = writeFile(files, 'prev.csv', toCsv(['body', 'sentiment'], sentimentRows(10)));
    const r = await inProcess('import', file, '--preview', '--json');
    expect(r.code).toBe(0);
    const p = JSON.parse(r.stdout) as { guess: { textColumns: string[]; labelColumn: string } };
    expect(p.guess).toMatchObject({ textColumns: ['body'], labelColumn: 'sentiment' });
    const projects = JSON.parse((await inProcess('projects', '--json')).stdout) as { name: string }[];
    expect(projects.map((x) => x.name)).not.toContain('prev');
  });
});
