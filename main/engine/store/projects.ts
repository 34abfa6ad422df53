import type { Db } from './db.ts';
import type { Project } from '../../../shared/domain.ts';
import { newId, nowIso } from './ids.ts';
import { TextbenchError } from '../errors.ts';

interface ProjectRow {
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
  last_used_at: string;
  datasets: number;
  examples: number;
}

const SELECT = `
  SELECT p.*,
    (SELECT COUNT(*) FROM datasets d WHERE d.project_id = p.id) AS datasets,
    (SELECT COUNT(*) FROM examples e WHERE e.project_id = p.id) AS examples
  FROM projects p`;

function toProject(r: ProjectRow): Project {
  return {
    id: r.id,
    name: r.name,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    lastUsedAt: r.last_used_at,
    datasets: r.datasets,
    examples: r.examples,
  };
}

export function listProjects(db: Db): Project[] {
  return (db.prepare(`${SELECT} ORDER BY p.last_used_at DESC`).all() as ProjectRow[]).map(toProject);
}

export function findProject(db: Db, idOrName: string): Project | undefined {
  const row = db.prepare(`${SELECT} WHERE p.id = ? OR p.name = ? LIMIT 1`).get(idOrName, idOrName) as ProjectRow | undefined;
  return row && toProject(row);
}

export function getProject(db: Db, idOrName: string): Project {
  const p = findProject(db, idOrName);
  if (!p) {
    throw new TextbenchError(
      `No project named "${idOrName}" in this workspace. Run \`textbench projects\` to list them.`,
      'PROJECT_NOT_FOUND',
      { project: idOrName },
    );
  }
  return p;
}

/**
 * The project a request means: the named one (id or name), else the only or most recently used one; id and name
 * only, cheap enough for every call. With `use` it becomes the most recently used (so that the next command
 * without --project means it too); the write is skipped when it already is: the app pages through examples many
 * times a second and a read should not cost a write.
 */
export function resolveProject(db: Db, ref?: string, options: { use?: boolean } = {}): { id: string; name: string } {
  const latest = db.prepare('SELECT id, name FROM projects ORDER BY last_used_at DESC LIMIT 1').get() as { id: string; name: string } | undefined;
  let p: { id: string; name: string };
  if (ref) {
    p = (db.prepare('SELECT id, name FROM projects WHERE id = ? OR name = ? LIMIT 1').get(ref, ref) as { id: string; name: string } | undefined) ?? getProject(db, ref);
  } else {
    if (!latest) throw new TextbenchError('This workspace has no projects yet. Import a file first: `textbench import FILE`.', 'NO_PROJECTS');
    p = latest;
  }
  if (options.use && latest?.id !== p.id) touchProject(db, p.id);
  return p;
}

export function createProject(db: Db, name: string): Project {
  const clean = name.trim();
  if (!clean) throw new TextbenchError('A project needs a name.', 'PROJECT_NAME_EMPTY');
  if (findProject(db, clean)) {
    throw new TextbenchError(`A project named "${clean}" already exists. Pick another name.`, 'PROJECT_EXISTS', { project: clean });
  }
  const now = nowIso();
  const id = newId('prj');
  db.prepare('INSERT INTO projects (id, name, created_at, updated_at, last_used_at) VALUES (?, ?, ?, ?, ?)').run(id, clean, now, now, now);
  return getProject(db, id);
}

export function renameProject(db: Db, idOrName: string, newName: string): Project {
  const p = getProject(db, idOrName);
  const clean = newName.trim();
  if (!clean) throw new TextbenchError('A project needs a name.', 'PROJECT_NAME_EMPTY');
  const other = findProject(db, clean);
  if (other && other.id !== p.id) {
    throw new TextbenchError(`A project named "${clean}" already exists. Pick another name.`, 'PROJECT_EXISTS', { project: clean });
  }
  db.prepare('UPDATE projects SET name = ?, updated_at = ? WHERE id = ?').run(clean, nowIso(), p.id);
  return getProject(db, p.id);
}

export function deleteProject(db: Db, idOrName: string): void {
  const p = getProject(db, idOrName);
  db.prepare('DELETE FROM projects WHERE id = ?').run(p.id);
}

export function touchProject(db: Db, id: string): void {
  db.prepare('UPDATE projects SET last_used_at = ? WHERE id = ?').run(nowIso(), id);
}
