// The Data view's search on 240,000 examples (the O*NET duties, repeated): what one keystroke costs, i.e. the
// data.examples query (count of matches + first page of 200) through the full-text index, against the LIKE scan
// it replaced, side by side in one run. Target: under 20 ms. Also what the index costs at import.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { Workbench } from '../../main/engine/workbench.ts';
import { openWorkspaceDb } from '../../main/engine/store/db.ts';

const ROWS = 240_000;
const ONET = path.resolve(import.meta.dirname, '../../../shared/datasets/onet_tasks/onet_tasks.csv');
/** What a person types, keystroke by keystroke, and a few whole queries. */
const QUERIES = ['n', 'nu', 'nur', 'nurs', 'nursi', 'nursing', 'nursing c', 'nursing care', 'maintain records', 'patients', 'the', 'xyzzy'];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function run(): Promise<void> {
  if (!fs.existsSync(ONET)) {
    console.log('search: skipped, ../shared/datasets/onet_tasks/onet_tasks.csv is missing');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-search-'));
  try {
    const rows = parse(fs.readFileSync(ONET), { columns: true }) as Array<{ task: string; major_group: string }>;
    const file = path.join(dir, 'big.csv');
    const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
    const lines = ['task,group'];
    // Each copy of a duty gets its copy number, so the 240,000 texts are distinct (as a real large table is).
    for (let i = 0; lines.length <= ROWS; i++) {
      const r = rows[i % rows.length]!;
      lines.push(`${q(`${r.task} (${Math.floor(i / rows.length) + 1})`)},${q(r.major_group)}`);
    }
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const wb = Workbench.open({ workspace: path.join(dir, 'ws') });
    try {
      const t0 = performance.now();
      const res = await wb.data.importFile(file, { project: 'big', text: ['task'], label: 'group' });
      console.log(`import of ${res.rows.toLocaleString('en-US')} rows: ${((performance.now() - t0) / 1000).toFixed(1)} s (commit ${res.timings?.commit.toFixed(1) ?? '?'} s)`);
      // A large import leaves its rows to the search index, which the app builds in the background (a search
      // meanwhile scans the rows not yet indexed); the keystrokes below are timed once it is built.
      const pending = wb.data.searchIndexPending();
      const ti = performance.now();
      const indexed = await wb.data.finishSearchIndex();
      console.log(`search index for the ${pending.toLocaleString('en-US')} rows the import left to it: ${indexed.toLocaleString('en-US')} rows in ${((performance.now() - ti) / 1000).toFixed(1)} s`);
      const db = openWorkspaceDb(wb.dir);
      const like = db.prepare(`SELECT COUNT(*) AS n FROM examples e WHERE e.project_id = @p AND e.text LIKE @s ESCAPE '\\'`);
      const likePage = db.prepare(`SELECT * FROM examples WHERE id IN (SELECT e.id FROM examples e WHERE e.project_id = @p AND e.text LIKE @s ESCAPE '\\' ORDER BY e.id LIMIT 200)`);
      const p = wb.projects.get('big').id;
      console.log('query (as typed)     matches   full-text ms (median / max of 7)   LIKE scan ms (median)   ratio');
      const fts: number[] = [];
      for (const text of QUERIES) {
        const times: number[] = [];
        let total = 0;
        for (let k = 0; k < 7; k++) {
          const t = performance.now();
          total = wb.data.examples('big', { search: text, limit: 200 }).total;
          times.push(performance.now() - t);
        }
        const likeTimes: number[] = [];
        for (let k = 0; k < 3; k++) {
          const t = performance.now();
          like.get({ p, s: `%${text}%` });
          likePage.all({ p, s: `%${text}%` });
          likeTimes.push(performance.now() - t);
        }
        fts.push(median(times));
        console.log(
          `${JSON.stringify(text).padEnd(20)} ${total.toLocaleString('en-US').padStart(8)}   ${median(times).toFixed(1).padStart(8)} / ${Math.max(...times).toFixed(1).padStart(6)}` +
            `                 ${median(likeTimes).toFixed(1).padStart(8)}          ${(median(likeTimes) / median(times)).toFixed(0)}x`,
        );
      }
      const worst = Math.max(...fts);
      console.log(`slowest keystroke (median): ${worst.toFixed(1)} ms; target < 20 ms: ${worst < 20 ? 'met' : 'MISSED'}`);
      // The review checks: inline they block the event loop for their whole run; in the worker the loop stays free.
      const stall = async (work: () => Promise<unknown>): Promise<{ ms: number; stall: number }> => {
        let last = performance.now();
        let worst = 0;
        const timer = setInterval(() => {
          const now = performance.now();
          worst = Math.max(worst, now - last - 10);
          last = now;
        }, 10);
        const t = performance.now();
        await work();
        const ms = performance.now() - t;
        await new Promise((r) => setTimeout(r, 20));
        clearInterval(timer);
        return { ms, stall: Math.max(worst, 0) };
      };
      const inline = await stall(async () => wb.data.review('big'));
      const worker = await stall(() => wb.data.reviewInBackground('big'));
      console.log(
        `review of ${res.rows.toLocaleString('en-US')} rows: inline ${inline.ms.toFixed(0)} ms with the event loop blocked ${inline.stall.toFixed(0)} ms; ` +
          `in a worker ${worker.ms.toFixed(0)} ms with the loop blocked at most ${worker.stall.toFixed(0)} ms`,
      );
      // With a second project in the workspace every match's project is looked up (2 µs a match here).
      await wb.data.importFile(ONET, { project: 'other', text: ['task'], label: 'major_group' });
      const shared: string[] = [];
      for (const text of ['nurs', 'nursing care', 'patients', 'the']) {
        const times: number[] = [];
        for (let k = 0; k < 7; k++) {
          const t = performance.now();
          wb.data.examples('big', { search: text, limit: 200 });
          times.push(performance.now() - t);
        }
        shared.push(`${JSON.stringify(text)} ${median(times).toFixed(1)} ms`);
      }
      console.log(`same project beside a second one (19,450 rows): ${shared.join(', ')}`);
      db.close();
    } finally {
      await wb.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
