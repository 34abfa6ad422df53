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

/** The project a command means when it names none: the only one, else the most recently used. */
export function defaultProject(db: Db): Project {
  const all = listProjects(db);
  if (!all.length) {
    throw new TextbenchError('This workspace has no projects yet. Import a file first: `textbench import FILE`.', 'NO_PROJECTS');
  }
  return all[0]!;
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
