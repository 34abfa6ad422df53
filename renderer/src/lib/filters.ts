// The Data view's filter state ↔ the data.examples query, and paging for the virtual table.
import type { ExampleQuery } from '../../../shared/api.ts';
import type { Split } from '../../../shared/domain.ts';
import type { PredictionFilter } from '../../../shared/evaluation.ts';

export interface DataFilter {
  search: string;
  label: string | null;
  split: Split | null;
  flag: string | null;
  ids: number[] | null;
  /** The examples behind a confusion-matrix cell (or a row or column of it): what a run predicted. */
  prediction: PredictionFilter | null;
}

export const EMPTY_FILTER: DataFilter = { search: '', label: null, split: null, flag: null, ids: null, prediction: null };

export function toQuery(project: string, f: DataFilter, offset: number, limit: number): ExampleQuery {
  const q: ExampleQuery = { project, offset, limit };
  const search = f.search.trim();
  if (search) q.search = search;
  if (f.label) q.label = f.label;
  if (f.split) q.split = f.split;
  if (f.flag) q.flag = f.flag;
  if (f.ids) q.ids = f.ids;
  if (f.prediction) q.prediction = { ...f.prediction };
  return q;
}

export function isFiltered(f: DataFilter): boolean {
  return Boolean(f.search.trim() || f.label || f.split || f.flag || f.ids || f.prediction);
}

/** A stable key: the page cache is thrown away when it changes. */
export function filterKey(project: string, f: DataFilter): string {
  return JSON.stringify([project, f.search.trim(), f.label, f.split, f.flag, f.ids, f.prediction]);
}

/** Pages (by index) that cover rows [start, end], inclusive. */
export function pagesFor(start: number, end: number, pageSize: number): number[] {
  if (end < start) return [];
  const out: number[] = [];
  for (let p = Math.floor(Math.max(0, start) / pageSize); p <= Math.floor(end / pageSize); p++) out.push(p);
  return out;
}
