import { Workspace } from '../workspaces/entities/workspace.entity';

/**
 * What a request reaches of a workspace's projects and issues (SPEC §7, §11.1): the workspace,
 * and the projects a restricted token may see (null: all of them; empty: none). Every project
 * and issue query is built from it, so lists, counts and pagination only ever hold what the
 * caller may reach, and anything else is 404.
 */
export interface ProjectArea {
  workspace: Workspace;
  projectIds: readonly string[] | null;
}

/** Whether the area includes this project. */
export function reaches(area: ProjectArea, projectId: string): boolean {
  return area.projectIds === null || area.projectIds.includes(projectId);
}
