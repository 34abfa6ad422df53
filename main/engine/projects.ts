import type { EngineContext } from './context.ts';
import type { Project } from '../../shared/domain.ts';
import * as store from './store/projects.ts';

export class ProjectService {
  constructor(private readonly ctx: EngineContext) {}

  list(): Project[] {
    return store.listProjects(this.ctx.db);
  }
  get(idOrName: string): Project {
    return store.getProject(this.ctx.db, idOrName);
  }
  /** The named project, or the only / most recently used one when no name is given. */
  resolve(idOrName?: string): Project {
    const { id } = store.resolveProject(this.ctx.db, idOrName);
    store.touchProject(this.ctx.db, id);
    return store.getProject(this.ctx.db, id);
  }
  create(name: string): Project {
    return store.createProject(this.ctx.db, name);
  }
  rename(idOrName: string, newName: string): Project {
    return store.renameProject(this.ctx.db, idOrName, newName);
  }
  delete(idOrName: string): void {
    store.deleteProject(this.ctx.db, idOrName);
  }
}
