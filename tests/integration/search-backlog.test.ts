// Search while a large import's rows wait for the full-text index (store/fts-backlog.ts, data/search-index.ts):
// the same results before, during and after the index is built, edits of rows that are not indexed yet, a
// backlog left by a closed (or killed) process finished by the next one, and the fallback matcher checked
// against FTS5 itself on generated text from the whole of Unicode.
import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { Workbench } from '../../main/engine/workbench.ts';
import { openWorkspaceDb } from '../../main/engine/store/db.ts';
import { backlogRows, hasBacklog, indexBacklogChunk } from '../../main/engine/store/fts-backlog.ts';
import { foldForSearch, ftsQuery, searchMatcher, searchTerms, searchWords } from '../../main/engine/store/search.ts';
import { seededRandom } from '../../main/engine/data/split.ts';
import { main } from '../../main/cli/index.ts';
import { ONET, UCI_RAW, withWorkspaceDb, workbenchPool } from '../fixtures/data.ts';

const pool = workbenchPool('tb-backlog-');
const workbench = (dir?: string) => pool.open(dir);
afterEach(() => pool.closeAll());

/** Defers the index of any import, however small: the threshold is a parameter, not a property of the data. */
const DEFER = { deferIndexRows: 1 };
const ONET_IMPORT = { text: ['task'], label: 'major_group' };

/** Searches a person might type: words of the data, their beginnings, several words, punctuation, accents. */
function queriesFor(texts: string[]): string[] {
  const rand = seededRandom(7);
  const out = ['nurs', 'care patients', 'patients care', 'résumé', 'resume', 'C++', 'e-mail', 'n°3', 'x', 'x ', 'and', 'AND OR', '"quoted', 'forklift', 'co', 'zzzqqq'];
  for (let i = 0; i < 16; i++) {
    const words = searchWords(texts[Math.floor(rand() * texts.length)]!);
    if (!words.length) continue;
    const w = words[Math.floor(rand() * words.length)]!;
    out.push(w, w.slice(0, 2 + Math.floor(rand() * 3)), `${w} ${words[Math.floor(rand() * words.length)]!}`);
  }
  return out;
}

/** What the Data view shows for each query: the total and the ids (whole list), alone and with a filter. */
function results(wb: Workbench, project: string, queries: string[], label: string): string[] {
  return queries.flatMap((search) => {
    const all = wb.data.examples(project, { search, limit: 10_000 });
    const filtered = wb.data.examples(project, { search, label, limit: 10_000 });
    return [`${search}: ${all.total} ${all.rows.map((r) => r.id).join(',')}`, `${search} [${label}]: ${filtered.total} ${filtered.rows.map((r) => r.id).join(',')}`];
  });
}

function integrity(wb: Workbench): void {
  // For an external-content index this compares the index with the examples table, row by row.
  withWorkspaceDb(wb, (db) => db.exec("INSERT INTO examples_fts (examples_fts, rank) VALUES ('integrity-check', 1)"));
}

function onetTexts(): string[] {
  return fs
    .readFileSync(ONET, 'utf8')
    .split('\n')
    .slice(1, 4000);
}

describe('search with rows waiting for the index', () => {
  it('gives the same results before, while and after the index is built, and the backlog is empty after finish()', async () => {
    const wb = workbench();
    const imported = await wb.data.importFile(ONET, { project: 'onet', ...ONET_IMPORT }, DEFER);
    // Nothing ran between the import's end and here (the background indexer waits for the event loop).
    expect(wb.data.searchIndexPending()).toBe(imported.rows);
    const queries = queriesFor(onetTexts());
    const label = imported.labels[3]!;
    const before = results(wb, 'onet', queries, label);
    withWorkspaceDb(wb, (db) => expect(indexBacklogChunk(db, 7000)).toBe(7000));
    expect(wb.data.searchIndexPending()).toBe(imported.rows - 7000);
    const during = results(wb, 'onet', queries, label);
    const indexed = await wb.data.finishSearchIndex();
    expect(indexed).toBeLessThanOrEqual(imported.rows - 7000);
    expect(wb.data.searchIndexPending()).toBe(0);
    withWorkspaceDb(wb, (db) => expect(hasBacklog(db)).toBe(false));
    integrity(wb);
    const after = results(wb, 'onet', queries, label);
    expect(before).toEqual(after);
    expect(during).toEqual(after);
    // Not vacuous: most queries find something.
    expect(after.filter((r) => !/: 0 $/.test(r)).length).toBeGreaterThan(queries.length);
  });

  it('relabel, removal, undo and dataset deletion of rows in the backlog give what they give with the index built inline', async () => {
    // The same steps in two workspaces, one with every import's index deferred, one with it built inline: after
    // each step both show the same search results; at the end the deferred one's index is built and checked.
    const deferred = workbench();
    const inline = workbench();
    // The background indexer would empty the backlog during the awaits; here it stays, until the end.
    deferred.data.stopSearchIndex();
    const queries = [...queriesFor(onetTexts()), 'great', 'food', 'service was', 'terrible', 'phone'];
    const states: string[][] = [];
    let label = '';
    const step = async (fn: (wb: Workbench, control: { deferIndexRows: number }) => unknown): Promise<void> => {
      await fn(deferred, DEFER);
      await fn(inline, { deferIndexRows: Number.POSITIVE_INFINITY });
      const a = results(deferred, 'p', queries, label);
      expect(a).toEqual(results(inline, 'p', queries, label));
      states.push(a);
    };
    await step(async (wb, control) => (label = (await wb.data.importFile(ONET, { project: 'p', ...ONET_IMPORT }, control)).labels[0]!));
    await step((wb, control) => wb.data.importFile(UCI_RAW[2]!, { project: 'p', datasetName: 'yelp' }, control));
    expect(deferred.data.searchIndexPending()).toBe(19_450 + 1000);
    // Half of ONET indexed, the rest and yelp waiting: the edits below meet both kinds of rows.
    withWorkspaceDb(deferred, (db) => indexBacklogChunk(db, 9000));
    await step((wb) => wb.data.relabel('p', [1, 2, 8999, 9000, 9001, 9002, 19_000, 19_455], label, 'tester'));
    await step((wb) => expect(wb.data.removeDuplicates('p', 'tester').changed).toBeGreaterThan(100));
    await step((wb) => wb.data.undo('p'));
    await step((wb) => wb.data.removeDuplicates('p', 'tester'));
    // The yelp rows leave the top of a backlog range; a small import (indexed inline) then reuses those ids.
    await step((wb) => wb.data.deleteDataset('p', 'yelp'));
    await step((wb) => wb.data.importFile(UCI_RAW[0]!, { project: 'p', datasetName: 'amazon' }));
    const amazonIds = deferred.data.examples('p', { search: 'phone', limit: 10_000 }).rows.map((r) => r.id).filter((id) => id > 19_450);
    expect(amazonIds.length).toBeGreaterThan(0);
    expect(Math.min(...amazonIds)).toBeLessThanOrEqual(19_450 + 1000);
    await step((wb) => wb.data.undo('p'));
    expect(new Set(states.map((s) => s.join('\n'))).size).toBeGreaterThan(4);

    // Stopped in the background, finished on request.
    expect(await deferred.data.finishSearchIndex()).toBeGreaterThan(0);
    expect(deferred.data.searchIndexPending()).toBe(0);
    integrity(deferred);
    integrity(inline);
    expect(results(deferred, 'p', queries, label)).toEqual(states.at(-1));
  });

  it('lists the background indexing as a task with its progress in rows; Stop pauses it until the next import', async () => {
    const wb = workbench();
    const imported = await wb.data.importFile(ONET, { project: 'onet', ...ONET_IMPORT }, DEFER);
    const indexing = () => wb.tasks.list().filter((t) => t.kind === 'search-index');
    const [task] = indexing();
    expect(task).toMatchObject({ state: 'running', title: 'Indexing for search', progress: { done: 0, total: imported.rows, unit: 'rows' } });
    // Paused by the person: the rest waits, and search still finds everything.
    wb.tasks.cancel(task!.id);
    const paused = await wb.tasks.settled(task!.id);
    expect(paused.state).toBe('cancelled');
    const left = wb.data.searchIndexPending();
    expect(left).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(wb.data.searchIndexPending()).toBe(left);
    // The next import starts it again, and it runs to the end: every row indexed, the task done.
    await wb.data.importFile(ONET, { project: 'onet-2', ...ONET_IMPORT }, DEFER);
    const again = indexing().find((t) => t.state === 'running')!;
    expect(again.id).not.toBe(task!.id);
    const finished = await wb.tasks.settled(again.id);
    expect(finished.state).toBe('done');
    expect(finished.progress).toMatchObject({ done: finished.progress!.total, unit: 'rows' });
    expect(wb.data.searchIndexPending()).toBe(0);
    integrity(wb);
  });

  it('a workspace closed with a backlog is indexed by the next process that opens it', async () => {
    const dir = pool.dir();
    const first = workbench(dir);
    const imported = await first.data.importFile(ONET, { project: 'onet', ...ONET_IMPORT }, DEFER);
    await pool.close(first);
    const db = openWorkspaceDb(dir);
    try {
      expect(backlogRows(db)).toBe(imported.rows);
    } finally {
      db.close();
    }

    const second = workbench(dir);
    const expected = results(second, 'onet', ['forklift', 'patients'], imported.labels[0]!);
    // In the background: the event loop turns, chunks go in, until nothing is left.
    let turns = 0;
    while (second.data.searchIndexPending() > 0) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      turns++;
    }
    expect(turns).toBeGreaterThan(1);
    integrity(second);
    expect(results(second, 'onet', ['forklift', 'patients'], imported.labels[0]!)).toEqual(expected);
  });

  it('small imports are indexed inline, large ones after, and the CLI import leaves no backlog', async () => {
    const wb = workbench();
    await wb.data.importFile(UCI_RAW[1]!, { project: 'small' });
    expect(wb.data.searchIndexPending()).toBe(0);
    const big = await wb.data.importFile(ONET, { project: 'big', ...ONET_IMPORT });
    expect(big.rows).toBeGreaterThanOrEqual(10_000);
    expect(wb.data.searchIndexPending()).toBe(big.rows);

    const dir = pool.dir();
    const out: string[] = [];
    const code = await main(['import', ONET, '--text', 'task', '--label', 'major_group', '--json', '--workspace', dir], { out: (l) => out.push(l), err: () => undefined });
    expect(code).toBe(0);
    expect(JSON.parse(out[0]!).rows).toBe(big.rows);
    const db = openWorkspaceDb(dir);
    try {
      expect(hasBacklog(db)).toBe(false);
      db.exec("INSERT INTO examples_fts (examples_fts, rank) VALUES ('integrity-check', 1)");
    } finally {
      db.close();
    }
  });
});

describe('the fallback matcher against FTS5 itself', () => {
  /** Random text over all of Unicode (weighted to ASCII and Latin, where real data lives), without surrogates. */
  function randomTexts(n: number, seed: number, asciiOnly = false): string[] {
    const rand = seededRandom(seed);
    const cp = (): number => {
      const r = asciiOnly ? 0 : rand();
      if (r < 0.5) return 0x20 + Math.floor(rand() * 0x5f);
      if (r < 0.7) return 0xa0 + Math.floor(rand() * 0x1b0);
      if (r < 0.95) {
        const c = 1 + Math.floor(rand() * 0xfffe);
        return c >= 0xd800 && c < 0xe000 ? 0x20 : c;
      }
      return 0x10000 + Math.floor(rand() * 0x20000);
    };
    const texts: string[] = [];
    for (let i = 0; i < n; i++) {
      const len = 1 + Math.floor(rand() * 24);
      let t = '';
      for (let j = 0; j < len; j++) t += String.fromCodePoint(cp());
      texts.push(t);
    }
    return texts;
  }

  it('tokenises and folds like unicode61 with remove_diacritics 2, and matches what MATCH finds', () => {
    const db = new Database(':memory:');
    db.exec(`CREATE VIRTUAL TABLE t USING fts5(text, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');
             CREATE VIRTUAL TABLE t_terms USING fts5vocab(t, 'instance');`);
    const texts = [...randomTexts(3000, 11), ...randomTexts(1500, 12, true), 'Plan nursing care', 'Résumé, CV — Ærø ſtraße ΆΈΉ Ёлка', 'a\u0301b x\u0483y'];
    const insert = db.prepare('INSERT INTO t (rowid, text) VALUES (?, ?)');
    db.transaction(() => texts.forEach((t, i) => insert.run(i + 1, t)))();
    const tokens = new Map<number, string[]>();
    for (const r of db.prepare('SELECT doc, term FROM t_terms ORDER BY doc, offset').iterate() as IterableIterator<{ doc: number; term: string }>) {
      (tokens.get(r.doc) ?? tokens.set(r.doc, []).get(r.doc)!).push(r.term);
    }
    const differ = texts.filter((t, i) => JSON.stringify(foldForSearch(t).split(' ').filter(Boolean)) !== JSON.stringify(tokens.get(i + 1) ?? []));
    expect(differ).toEqual([]);

    // Queries cut out of the texts (so they hit), and plain ones.
    const rand = seededRandom(5);
    const queries = ['nurs', 'resume', 'RÉSUMÉ', 'strasse', 'ελκα', 'елка', 'ab', 'x', 'xy', 'x y', 'a b'];
    for (let i = 0; i < 600; i++) {
      const t = texts[Math.floor(rand() * texts.length)]!;
      const at = Math.floor(rand() * t.length);
      queries.push(t.slice(at, at + 1 + Math.floor(rand() * 6)) + (rand() < 0.2 ? ' ' : ''));
    }
    const find = db.prepare('SELECT rowid AS id FROM t WHERE t MATCH ? ORDER BY rowid');
    let hits = 0;
    const mismatches: string[] = [];
    for (const q of queries) {
      const terms = searchTerms(q);
      if (!terms) continue;
      const expected = (find.all(ftsQuery(q)!) as { id: number }[]).map((r) => r.id);
      const match = searchMatcher(terms);
      const got = texts.flatMap((t, i) => (match(t) ? [i + 1] : []));
      if (JSON.stringify(got) !== JSON.stringify(expected)) mismatches.push(`${JSON.stringify(q)}: fts ${expected.length}, fallback ${got.length}`);
      hits += expected.length;
    }
    expect(mismatches).toEqual([]);
    expect(hits).toBeGreaterThan(queries.length);
    db.close();
  });
});
