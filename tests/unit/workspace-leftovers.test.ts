// Issue 12: what a killed process leaves beside a bundle or an output file (".NAME.tmp-TAG-HEX", ".NAME.old-TAG-HEX")
// is cleaned by the next writer of that target; a dead process's half-swapped bundle is put back; what a live
// process is writing is left alone. And a write that waited out another process says so clearly.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { besideName, sweepBeside } from '../../main/engine/leftovers.ts';
import { ownerAlive, ownerTag, processStart, thisProcess } from '../../main/engine/store/owners.ts';
import { explainBusy } from '../../main/engine/errors.ts';
import { toApiError } from '../../main/api/dispatch.ts';
import { tempDir } from '../fixtures/data.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** The tag of a process that certainly ended: started, then killed. */
async function deadTag(): Promise<{ tag: string; owner: string }> {
  const gone = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  const pid = gone.pid!;
  const start = await new Promise<string>((resolve) => {
    const poll = () => {
      const s = processStart(pid);
      if (s) resolve(s);
      else setTimeout(poll, 10);
    };
    poll();
  });
  gone.kill('SIGKILL');
  await new Promise((r) => gone.on('close', r));
  return { tag: `p${pid}-${start}`, owner: `${thisProcess().host}/${pid}/${start}` };
}

describe('leftovers beside a target', () => {
  it('a dead process counts as gone, this one as alive, a reused pid with another start time as gone', async () => {
    const { owner } = await deadTag();
    expect(ownerAlive(owner, new Date().toISOString())).toBe(false);
    expect(ownerAlive(thisProcess().id, null)).toBe(true);
    // Our own pid, but a start time that is not ours: a pid reused by another program.
    expect(ownerAlive(`${thisProcess().host}/${process.pid}/1`, new Date().toISOString())).toBe(false);
  });

  it("removes a dead export's temp folder, puts back its half-swapped old bundle, and leaves a live one's temp alone", async () => {
    const dir = tempDir('tb-leftovers-');
    dirs.push(dir);
    const target = path.join(dir, 'model');
    const { tag } = await deadTag();
    // Killed between "rename target -> old" and "rename temp -> target": the user's bundle sits in .old.
    const deadTmp = path.join(dir, `.model.tmp-${tag}-0a0b0c0d`);
    const deadOld = path.join(dir, `.model.old-${tag}-01020304`);
    fs.mkdirSync(deadTmp);
    fs.writeFileSync(path.join(deadTmp, 'weights.bin'), 'half');
    fs.mkdirSync(deadOld);
    fs.writeFileSync(path.join(deadOld, 'manifest.json'), '{"the":"user bundle"}');
    const liveTmp = besideName(target, 'tmp');
    fs.mkdirSync(liveTmp);
    expect(path.basename(liveTmp)).toContain(ownerTag());

    const r = sweepBeside(target);
    expect(r.restored).toBe(path.basename(deadOld));
    expect(r.removed).toEqual([path.basename(deadTmp)]);
    expect(fs.readFileSync(path.join(target, 'manifest.json'), 'utf8')).toBe('{"the":"user bundle"}');
    expect(fs.existsSync(deadTmp)).toBe(false);
    expect(fs.existsSync(liveTmp)).toBe(true);
    // Another target's leftovers are not this one's business.
    const other = path.join(dir, `.model2.tmp-${tag}-00000000`);
    fs.mkdirSync(other);
    expect(sweepBeside(target).removed).toEqual([]);
    expect(fs.existsSync(other)).toBe(true);
  });

  it('a dead old copy is removed, not restored, when the target exists (the swap had completed)', async () => {
    const dir = tempDir('tb-leftovers-');
    dirs.push(dir);
    const target = path.join(dir, 'out.csv');
    fs.writeFileSync(target, 'new');
    const { tag } = await deadTag();
    const deadOld = path.join(dir, `.out.csv.old-${tag}-0a0a0a0a`);
    fs.writeFileSync(deadOld, 'old');
    expect(sweepBeside(target)).toEqual({ removed: [path.basename(deadOld)], restored: null });
    expect(fs.readFileSync(target, 'utf8')).toBe('new');
  });
});

describe('a write that waited for another process', () => {
  it('"database is locked" becomes WORKSPACE_BUSY naming the workspace and what to do; other errors pass', () => {
    const dir = tempDir('tb-busy-');
    dirs.push(dir);
    const file = path.join(dir, 'textbench.db');
    const a = new Database(file);
    a.pragma('journal_mode = WAL');
    a.exec('CREATE TABLE t (x)');
    const b = new Database(file, { timeout: 0 });
    a.exec('BEGIN IMMEDIATE');
    let caught: unknown;
    try {
      b.exec('BEGIN IMMEDIATE');
    } catch (err) {
      caught = err;
    } finally {
      a.exec('ROLLBACK');
      a.close();
      b.close();
    }
    expect((caught as { code?: string }).code).toMatch(/^SQLITE_BUSY/);
    const e = explainBusy(caught, dir)!;
    expect(e.code).toBe('WORKSPACE_BUSY');
    expect(e.message).toContain(`The workspace ${dir} is busy: another Textbench process has been writing to it`);
    expect(e.message).toContain('Nothing was changed; try again when it has finished.');
    expect(toApiError(caught)).toMatchObject({ code: 'WORKSPACE_BUSY' });
    expect(explainBusy(new Error('other'))).toBeNull();
  });
});
