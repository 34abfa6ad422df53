// The sample dataset shipped in assets/sample/ (O*NET duties by occupation group, CC BY 4.0): what "Try it with a
// sample" imports on a first start, so a new user can review, train and evaluate before bringing their own data.
import { fileURLToPath } from 'node:url';
import type { Db } from '../store/db.ts';
import type { Project } from '../../../shared/domain.ts';
import type { ImportOptions } from '../../../shared/data.ts';
import { findProject } from '../store/projects.ts';

/** Where the sample sits: assets/ beside main/, in the source tree and inside the app archive alike (a bundler must copy it). */
export const SAMPLE_FILE = fileURLToPath(new URL('../../../assets/sample/job-duties.csv', import.meta.url));

/** The project the sample goes into, and how its columns are read. */
export const SAMPLE_IMPORT: Required<Pick<ImportOptions, 'project' | 'text' | 'label' | 'datasetName'>> & { split: null } = {
  project: 'Job duties (sample)',
  text: ['duty'],
  label: 'occupation_group',
  split: null,
  datasetName: 'job-duties.csv (sample, O*NET CC BY 4.0)',
};

/** The sample project when it was imported before and still has examples (importing it twice would duplicate every row). */
export function existingSample(db: Db): Project | null {
  const p = findProject(db, SAMPLE_IMPORT.project);
  return p && p.examples > 0 ? p : null;
}
