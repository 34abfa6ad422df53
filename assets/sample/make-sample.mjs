// Builds assets/sample/job-duties.csv from the O*NET task statements (CC BY 4.0, see LICENSE.md beside it):
// 40 duties of each of the 22 occupation groups, plus a handful of real quirks of the full data (the same duty
// under two groups, exact repeats) so that the Review has something to fix. Deterministic: every k-th row.
// Run from the repository root with the team's datasets beside it: node assets/sample/make-sample.mjs
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';

const here = import.meta.dirname;
const source = path.resolve(here, '../../../shared/datasets/onet_tasks/onet_tasks.csv');
const PER_GROUP = 40;
const CONFLICTS = 5;
const REPEATS = 4;

const rows = parse(fs.readFileSync(source), { columns: true });
const byGroup = new Map();
for (const r of rows) {
  const list = byGroup.get(r.major_group) ?? [];
  list.push(r);
  byGroup.set(r.major_group, list);
}
const byText = new Map();
for (const r of rows) byText.set(r.task, [...(byText.get(r.task) ?? []), r]);
const conflicting = [...byText.values()].filter((v) => new Set(v.map((r) => r.major_group)).size > 1);
const repeated = [...byText.values()].filter((v) => v.length > 1 && new Set(v.map((r) => r.major_group)).size === 1);

const out = [];
const seen = new Set();
for (const group of [...byGroup.keys()].sort()) {
  const list = byGroup.get(group).filter((r) => byText.get(r.task).length === 1);
  const step = list.length / PER_GROUP;
  for (let i = 0; i < PER_GROUP; i++) out.push(list[Math.floor(i * step)]);
}
for (const v of conflicting.slice(0, CONFLICTS)) out.push(...v.slice(0, 2));
for (const v of repeated.slice(0, REPEATS)) out.push(...v.slice(0, 2));
for (const r of out) seen.add(r.task);

const q = (s) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
const csv = ['duty,occupation_group', ...out.map((r) => `${q(r.task)},${q(r.major_group)}`)].join('\n') + '\n';
fs.writeFileSync(path.join(here, 'job-duties.csv'), csv);
console.log(`wrote ${out.length} rows (${seen.size} distinct duties, ${byGroup.size} groups), ${csv.length} bytes`);
