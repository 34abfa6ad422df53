// What a process leaves on disk while it works, named so that the next one can clean up after a kill: the
// import staging database beside the workspace, an export's temp and old folders beside the bundle, a
// classified file's temp file beside the output. Each name carries its owner's tag (store/owners.ts); only
// leftovers of dead processes are removed, so a second process working at the same time is never disturbed.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { ownerTag, recoverInterruptedRuns, tagIsDead } from './store/owners.ts';
import type { Db } from './store/db.ts';

const STAGING = /^\.import-(p\d+-[A-Za-z0-9]+)-[0-9a-f]+\.db(-journal|-wal|-shm)?$/;
/** Staging files named before they carried a tag: no import lasts this long. */
const UNTAGGED_STAGING = /^\.import-stage[-_][A-Za-z0-9_-]+\.db(-journal|-wal|-shm)?$/;
const UNTAGGED_AGE_MS = 24 * 3600 * 1000;

/** A fresh staging database path in the workspace folder, tagged with this process. */
export function stagingPath(workspaceDir: string): string {
  return path.join(workspaceDir, `.import-${ownerTag()}-${crypto.randomBytes(6).toString('hex')}.db`);
}

/** Removes the staging files of imports whose process is gone; returns their names. */
export function sweepStaging(workspaceDir: string, now = Date.now()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(workspaceDir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = STAGING.exec(name);
    const file = path.join(workspaceDir, name);
    let dead = false;
    if (m) dead = tagIsDead(m[1]!);
    else if (UNTAGGED_STAGING.test(name)) {
      try {
        dead = now - fs.statSync(file).mtimeMs > UNTAGGED_AGE_MS;
      } catch {
        dead = false;
      }
    }
    if (!dead) continue;
    fs.rmSync(file, { force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * What a process does when it opens a workspace: runs whose process died are stored as interrupted, and the
 * staging files of dead imports are removed. Anything a live process holds is left alone.
 */
export function cleanUpWorkspace(dir: string, db: Db): { interruptedRuns: string[]; staging: string[] } {
  return { interruptedRuns: recoverInterruptedRuns(db), staging: sweepStaging(dir) };
}

/** Temp name beside `target` (".NAME.KIND-TAG-HEX") for a file or folder that is renamed into place when complete. */
export function besideName(target: string, kind: 'tmp' | 'old'): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${kind}-${ownerTag()}-${crypto.randomBytes(4).toString('hex')}`);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Cleans what dead processes left beside `target`: temp files or folders are removed; when the target itself is
 * missing and a dead process's ".old" copy of it exists, that process died in the middle of swapping a new
 * version in, so the old one is put back (nothing the user had is lost). Returns what it did, for logs.
 */
export function sweepBeside(target: string): { removed: string[]; restored: string | null } {
  const dir = path.dirname(target);
  const re = new RegExp(`^\\.${escapeRe(path.basename(target))}\\.(tmp|old)-(p\\d+-[A-Za-z0-9]+)-[0-9a-f]+$`);
  const removed: string[] = [];
  let restored: string | null = null;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return { removed, restored };
  }
  const dead = names
    .map((n) => ({ name: n, m: re.exec(n) }))
    .filter((x): x is { name: string; m: RegExpExecArray } => x.m !== null && tagIsDead(x.m[2]!));
  if (!fs.existsSync(target)) {
    const old = dead.find((x) => x.m[1] === 'old');
    if (old) {
      fs.renameSync(path.join(dir, old.name), target);
      restored = old.name;
    }
  }
  for (const x of dead) {
    if (x.name === restored) continue;
    fs.rmSync(path.join(dir, x.name), { recursive: true, force: true });
    removed.push(x.name);
  }
  return { removed, restored };
}
