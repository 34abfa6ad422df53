// Which process owns what in a workspace that several processes share (the app, the CLI, `serve`): a run is
// trained by one process at a time, and files a process leaves beside the workspace (staging databases, export
// temp folders) carry its identity, so that whoever comes next can tell a live owner from a dead one.
//
// SQLite's WAL mode needs shared memory, so every process of a workspace runs on one machine: a process is
// alive when its pid exists and (on Linux, where /proc tells it) started when the owner id says, which rules out
// a pid reused by an unrelated program. Elsewhere a heartbeat older than STALE_MS marks a reused pid as dead.
import fs from 'node:fs';
import os from 'node:os';
import crypto from 'node:crypto';
import type { Db } from './db.ts';
import { nowIso } from './ids.ts';
import { TextbenchError } from '../errors.ts';

/** How often an owner writes its heartbeat, and how old one may be before the owner counts as gone. */
export const HEARTBEAT_MS = 5_000;
export const STALE_MS = 120_000;

export interface ProcessOwner {
  /** "host/pid/start": stored in runs.owner and embedded (pid and start) in file names. */
  id: string;
  host: string;
  pid: number;
  /** The process start time from /proc (clock ticks since boot), or a random token where there is none. */
  start: string;
}

/** Start time of a process in clock ticks since boot (Linux), or null. */
export function processStart(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing paren.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

function hostName(): string {
  return os.hostname().replace(/[^A-Za-z0-9.-]/g, '_').slice(0, 64) || 'host';
}

let me: ProcessOwner | undefined;

/** This process as an owner (the same object for every caller in the process, worker threads included). */
export function thisProcess(): ProcessOwner {
  if (me) return me;
  const host = hostName();
  const start = processStart(process.pid) ?? `t${crypto.randomBytes(4).toString('hex')}`;
  me = { id: `${host}/${process.pid}/${start}`, host, pid: process.pid, start };
  return me;
}

export function parseOwner(id: string): ProcessOwner | null {
  const m = /^([^/]+)\/(\d+)\/([^/]+)$/.exec(id);
  return m ? { id, host: m[1]!, pid: Number(m[2]), start: m[3]! } : null;
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the owner process still runs. `heartbeatAt` (ISO) is used only where /proc cannot tell. */
export function ownerAlive(ownerId: string, heartbeatAt: string | null, now = Date.now()): boolean {
  const o = parseOwner(ownerId);
  if (!o) return false;
  const self = thisProcess();
  if (o.id === self.id) return true;
  const fresh = heartbeatAt !== null && now - Date.parse(heartbeatAt) < STALE_MS;
  if (o.host !== self.host) return fresh;
  if (!pidExists(o.pid)) return false;
  const start = processStart(o.pid);
  if (start !== null && !o.start.startsWith('t')) return start === o.start;
  return fresh;
}

/** A tag for file names that a later process can read back: "pPID-START". */
export function ownerTag(owner: ProcessOwner = thisProcess()): string {
  return `p${owner.pid}-${owner.start}`;
}

/** Whether the process a file-name tag names is gone (an unreadable tag counts as alive: never delete what we cannot judge). */
export function tagIsDead(tag: string): boolean {
  const m = /^p(\d+)-([A-Za-z0-9]+)$/.exec(tag);
  if (!m) return false;
  return !ownerAlive(`${thisProcess().host}/${m[1]}/${m[2]}`, null);
}

interface OwnerRow {
  status: string;
  owner: string | null;
  heartbeat_at: string | null;
}

/**
 * Makes this process the run's owner, in one write transaction. Refuses when another live process owns it:
 * two processes training one run would write over each other's checkpoints.
 */
export function claimRun(db: Db, runId: string, owner: ProcessOwner = thisProcess()): void {
  db.transaction(() => {
    const r = db.prepare('SELECT status, owner, heartbeat_at FROM runs WHERE id = ?').get(runId) as OwnerRow | undefined;
    if (!r) throw new TextbenchError(`No run "${runId}" in this workspace. Run \`textbench runs\` to list them.`, 'RUN_NOT_FOUND', { run: runId });
    if (r.owner && r.owner !== owner.id && ownerAlive(r.owner, r.heartbeat_at)) {
      const o = parseOwner(r.owner);
      throw new TextbenchError(
        `Run ${runId} is being trained by another Textbench process (pid ${o?.pid ?? '?'}${o && o.host !== owner.host ? ` on ${o.host}` : ''}). ` +
          'Stop it there (Ctrl-C, or Stop in the app) before resuming it here, or wait for it to finish.',
        'RUN_OWNED',
        { run: runId, owner: r.owner },
      );
    }
    db.prepare('UPDATE runs SET owner = ?, heartbeat_at = ? WHERE id = ?').run(owner.id, nowIso(), runId);
  }).immediate();
}

/**
 * Lets go of a run this process owned. A run still queued or running at that point lost its trainer without
 * a word (the worker died before it could say): it becomes 'interrupted', which resume accepts.
 */
export function releaseRun(db: Db, runId: string, owner: ProcessOwner = thisProcess()): void {
  db.prepare(
    `UPDATE runs SET owner = NULL,
       status = CASE WHEN status IN ('queued', 'running') THEN 'interrupted' ELSE status END,
       error = CASE WHEN status IN ('queued', 'running') THEN ? ELSE error END
     WHERE id = ? AND owner = ?`,
  ).run('The training stopped before the run ended (its worker exited without a result). Resume it to continue from its last checkpoint.', runId, owner.id);
}

/** The heartbeat of every run this process owns. */
export function beat(db: Db, owner: ProcessOwner = thisProcess()): void {
  db.prepare("UPDATE runs SET heartbeat_at = ? WHERE owner = ? AND status IN ('queued', 'running')").run(nowIso(), owner.id);
}

/** What a run's status is, given its owner: a queued or running run whose owner is gone is 'interrupted'. */
export function effectiveStatus<S extends string>(status: S, owner: string | null, heartbeatAt: string | null): S | 'interrupted' {
  if (status !== 'queued' && status !== 'running') return status;
  return owner && ownerAlive(owner, heartbeatAt) ? status : 'interrupted';
}

/**
 * Marks as 'interrupted' every queued or running run whose owner is gone (killed, crashed, power cut), so that
 * the stored status says what happened; returns their ids.
 */
export function recoverInterruptedRuns(db: Db): string[] {
  const rows = db.prepare("SELECT id, status, owner, heartbeat_at FROM runs WHERE status IN ('queued', 'running')").all() as Array<OwnerRow & { id: string }>;
  const dead = rows.filter((r) => !r.owner || !ownerAlive(r.owner, r.heartbeat_at));
  if (!dead.length) return [];
  const mark = db.prepare(
    `UPDATE runs SET status = 'interrupted', owner = NULL, error = ?
     WHERE id = ? AND status IN ('queued', 'running') AND owner IS ?`,
  );
  db.transaction(() => {
    for (const r of dead) {
      const o = r.owner ? parseOwner(r.owner) : null;
      mark.run(`The process that trained this run (${o ? `pid ${o.pid}` : 'unknown'}) ended before the run did. Resume it to continue from its last checkpoint.`, r.id, r.owner);
    }
  }).immediate();
  return dead.map((r) => r.id);
}
