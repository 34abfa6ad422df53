// The whole job through the browser: Debian's Chromium (driven by playwright-core) against `textbench serve`
// on a temporary workspace. Import through the drop zone, review, train the baseline and watch the curve grow,
// evaluate and open a confusion-matrix cell, classify a sentence, export a bundle. Every view is screenshotted
// into $TEXTBENCH_SCREENSHOTS (default: <tmp>/textbench-e2e-screenshots).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { buildXlsx } from '../fixtures/data.ts';
import { trainPresets } from '../../main/engine/train/presets.ts';
import { describeViolations, haveChromium, repoRoot, shot as shotPage, shotAll, startApp, stopApp, CHROMIUM, type RunningApp } from './harness.ts';

const DATASET = path.resolve(repoRoot, '../shared/datasets/uci_sentiment_labelled_sentences/uci_sentiment.csv');
if (!haveChromium) console.warn(`e2e: skipped: ${CHROMIUM} is missing (CI installs Debian's chromium; apt-get install chromium).`);

let workspace: string;
let app: RunningApp;
let url: string;
let page: Page;
let pageErrors: string[] = [];
/** The folder the export step wrote, added back through the Classify view. */
let exportedBundle: string | null = null;
/** The first, properly trained baseline run: the best of the project by validation macro-F1. */
let firstRun: string | null = null;

async function shot(name: string): Promise<void> {
  await shotPage(page, name);
}

/** Screenshots the view at 1024×700 and 1600×1000 in light and dark, and asserts axe-core finds nothing serious. */
async function views(name: string): Promise<void> {
  const violations = await shotAll(page, name);
  expect(violations, `${name}:\n${describeViolations(violations)}`).toEqual([]);
}

/** The id of the run the Train view shows once it is not `previous` any more. */
async function startedRun(previous: string | null): Promise<string> {
  const handle = await page.waitForFunction(
    (prev) => {
      const id = document.querySelector('[data-testid="run-status"]')?.getAttribute('data-run');
      return id && id !== prev ? id : null;
    },
    previous,
  );
  return (await handle.jsonValue()) as string;
}

async function runEnded(run: string): Promise<void> {
  await page.waitForFunction(
    (id) => /finished|stopped|failed/.test(document.querySelector(`[data-testid="run-status"][data-run="${id}"] .pill`)?.textContent ?? ''),
    run,
    { timeout: 170_000 },
  );
}

/** Drops a file built in the page onto the drop zone, as a person dragging it from their file manager would. */
async function drop(name: string, text: string): Promise<void> {
  await page.evaluate(
    ([fileName, content]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([content!], fileName!, { type: 'text/csv' }));
      const zone = document.querySelector('[data-testid="dropzone"]')!;
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    },
    [name, text],
  );
}

async function go(view: string): Promise<void> {
  await page.click(`nav button[data-view="${view}"]`);
}

describe.skipIf(!haveChromium)('the app in a real browser', () => {
  beforeAll(async () => {
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'textbench-e2e-'));
    app = await startApp(workspace);
    ({ url, page, errors: pageErrors } = app);
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && page) await shot(`FAILED-${ctx.task.name.replace(/[^a-z0-9]+/gi, '-')}`);
  });

  afterAll(async () => {
    await stopApp(app);
    if (workspace) fs.rmSync(workspace, { recursive: true, force: true });
  });

  it('refuses the page without the token', async () => {
    const res = await fetch(url.replace(/\?token=.*/, ''));
    expect(res.status).toBe(401);
  });

  it('shows import errors in plain words next to the offending lines', async () => {
    await page.goto(url);
    await page.waitForSelector('[data-testid="dropzone"]');
    await views('01-import-empty');
    await drop('broken.csv', 'text,label\ngood one,pos\nbad row,neg,extra,fields\nfine,neg\nanother bad,pos,x\nok,pos\n');
    await page.waitForSelector('[data-testid="preview"] tbody tr');
    expect(await page.locator('[data-testid="preview"] tr.bad').count()).toBe(2);
    expect(await page.textContent('[data-testid="preview"]')).toMatch(/line 3 has 4 fields/);
    await page.click('[data-testid="import-button"]');
    const error = await page.waitForSelector('[data-testid="import-error"]');
    expect(await error.textContent()).toMatch(/line 3 \(4 fields\), line 5 \(3 fields\)/);
    expect(await error.textContent()).toMatch(/broken\.csv, line 3, 5/);
    await shot('01b-import-errors');
    // Nothing was imported.
    expect(await page.locator('nav select option').allTextContents()).toEqual(['(none yet)']);
  });

  it('imports the UCI sentiment file dropped on the drop zone', async () => {
    await drop('uci_sentiment.csv', fs.readFileSync(DATASET, 'utf8'));
    await page.waitForFunction(() => document.querySelector('[data-testid="dropzone"] .file')?.textContent?.startsWith('uci_sentiment.csv'));
    await page.waitForSelector('[data-testid="preview"] tbody tr');
    expect(await page.inputValue('[data-testid="label-column"]')).toBe('label');
    expect(await page.inputValue('[data-testid="split-column"]')).toBe('split');
    expect(await page.inputValue('[data-testid="project-name"]')).toBe('uci_sentiment');
    await views('02-import-preview');
    await page.click('[data-testid="import-button"]');
    const result = await page.waitForSelector('[data-testid="import-result"]');
    expect(await result.textContent()).toContain('Imported 3,000 examples');
    await views('03-import-done');
  });

  it('shows the review and the rows behind a check', async () => {
    await page.click('text=Review the data');
    await page.waitForSelector('[data-testid="review"] .checks li');
    await page.waitForFunction(() => /3,000 rows/.test(document.querySelector('[data-testid="row-count"]')?.textContent ?? ''));
    expect(await page.locator('[data-testid="virtual-list"] .erow').count()).toBeGreaterThan(5);
    // Only the visible rows exist in the DOM.
    expect(await page.locator('[data-testid="virtual-list"] .erow').count()).toBeLessThan(120);
    await views('04-data-review');
    // A review check's link lists the rows behind it.
    await page.click('[data-testid="review"] .checks li:first-child button.link');
    await page.waitForFunction(() => !/^3,000 rows/.test(document.querySelector('[data-testid="row-count"]')?.textContent ?? ''));
    await shot('04b-data-duplicates');
    await page.click('text=Clear filters');
    await page.waitForFunction(() => /^3,000 rows/.test(document.querySelector('[data-testid="row-count"]')?.textContent ?? ''));
    // Inline relabel of one row, then undo.
    const firstLabel = () => document.querySelector('[data-testid="virtual-list"] .erow .labbtn')?.getAttribute('data-label');
    const before = (await page.evaluate(firstLabel))!;
    const other = before === 'positive' ? 'negative' : 'positive';
    await page.locator('[data-testid="virtual-list"] .erow .labbtn').first().click();
    await page.locator('[data-testid="virtual-list"] .erow select').selectOption(other);
    await page.waitForSelector('.notice >> text=Relabelled 1 example');
    await page.waitForFunction((want) => document.querySelector('[data-testid="virtual-list"] .erow .labbtn')?.getAttribute('data-label') === want, other);
    await page.click('button:has-text("Undo last change")');
    await page.waitForSelector('.notice >> text=Undid: Relabelled 1 example');
    await page.waitForFunction((want) => document.querySelector('[data-testid="virtual-list"] .erow .labbtn')?.getAttribute('data-label') === want, before);
    await page.fill('input[type="search"]', 'excellent');
    await page.waitForFunction(() => !/3,000 rows/.test(document.querySelector('[data-testid="row-count"]')?.textContent ?? ''));
    const filtered = await page.textContent('[data-testid="row-count"]');
    expect(Number(filtered!.replace(/[^0-9]/g, ''))).toBeGreaterThan(0);
    await page.click('text=Clear filters');
    await page.waitForFunction(() => /3,000 rows/.test(document.querySelector('[data-testid="row-count"]')?.textContent ?? ''));
  });

  it('trains the baseline and draws the curve as epochs finish', async () => {
    await go('train');
    await page.click('[data-preset="baseline"]');
    await page.fill('[data-testid="epochs"]', '3');
    // Record every point count the accuracy chart shows, to see it grow epoch by epoch while training runs.
    await page.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { __points: number[] }).__points = seen;
      new MutationObserver(() => {
        const n = Number(document.querySelector('[aria-label="Accuracy chart"]')?.getAttribute('data-points') ?? -1);
        if (n >= 0 && seen[seen.length - 1] !== n) seen.push(n);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-points'] });
    });
    await page.click('[data-testid="start"]');
    const run = await startedRun(null);
    firstRun = run;
    await page.waitForFunction(() => Number(document.querySelector('[aria-label="Accuracy chart"]')?.getAttribute('data-points') ?? 0) >= 1, null, { timeout: 120_000 });
    await shot('05-train-running');
    await runEnded(run);
    expect(await page.textContent('[data-testid="run-status"] .pill')).toBe('finished');
    expect(await page.getAttribute('[aria-label="Accuracy chart"]', 'data-points')).toBe('3');
    const seen = await page.evaluate(() => (window as unknown as { __points: number[] }).__points);
    expect(seen.filter((n) => n > 0)).toEqual([1, 2, 3]);
    expect(await page.textContent('[data-testid="backend"]')).toMatch(/wasm|cpu|tensorflow/);
    await views('06-train-finished');
  });

  it('evaluates the run and opens the examples behind a confusion-matrix cell', async () => {
    await go('evaluate');
    await page.waitForSelector('[data-testid="confusion"] button.cell');
    expect(await page.textContent('[data-testid="accuracy"]')).toMatch(/%/);
    await views('07-evaluate');
    // The per-class table sorts by a click on its header.
    await page.click('table.pc th >> text=Support');
    expect(await page.getAttribute('table.pc th[aria-sort="descending"]', 'aria-sort')).toBe('descending');
    // One click relabels a confident mistake as the model's prediction, and one more undoes it.
    await page.locator('table.mistakes tbody tr').first().locator('button:has-text("Relabel")').click();
    await page.waitForSelector('table.mistakes tbody tr:first-child .pill:has-text("relabelled")');
    await page.locator('table.mistakes tbody tr').first().locator('button:has-text("Undo")').click();
    await page.waitForSelector('table.mistakes tbody tr:first-child button:has-text("Relabel")');
    // An off-diagonal cell (true negative predicted positive, or the other way) that is not empty.
    const offDiagonal = (Number(await page.textContent('button[data-cell="0-1"]')) || 0) > 0 ? page.locator('button[data-cell="0-1"]') : page.locator('button[data-cell="1-0"]');
    const n = Number(await offDiagonal.textContent());
    expect(n).toBeGreaterThan(0);
    await offDiagonal.click();
    await page.waitForSelector('[data-testid="row-count"]');
    await page.waitForFunction((want) => new RegExp(`^${want} rows`).test(document.querySelector('[data-testid="row-count"]')?.textContent ?? ''), String(n));
    await shot('08-confusion-cell-examples');
  });

  it('shows the doctor findings on the curves of a run with a far too low learning rate, marks it "did not learn", and its fix button retrains', async () => {
    await go('train');
    await page.click('[data-preset="baseline"]');
    await page.fill('[data-testid="epochs"]', '3');
    await page.fill('[data-testid="learning-rate"]', '0.000001');
    await page.click('summary:has-text("Advanced")');
    await page.selectOption('[data-testid="optimizer"]', 'rmsprop');
    await page.selectOption('[data-testid="early-stop"]', 'none');
    // Without repairs the doctor only reports, so the run stays where the low rate left it.
    await page.uncheck('label:has-text("Let the doctor repair problems") input');
    const previous = await page.getAttribute('[data-testid="run-status"]', 'data-run');
    await page.click('[data-testid="start"]');
    const run = await startedRun(previous);
    await runEnded(run);
    await page.waitForFunction(() => /Plateau/.test(document.querySelector('[data-testid="doctor"]')?.textContent ?? ''), null, { timeout: 20_000 });
    expect(await page.textContent('[data-testid="verdict"]')).toBe('did not learn');
    expect(await page.textContent('[data-testid="verdict-reason"]')).toMatch(/no better than always answering/);
    // Plain words, no CLI flags and no JSON in the app.
    const doctor = (await page.textContent('[data-testid="doctor"]'))!;
    expect(doctor).not.toMatch(/--|textbench |[{}]/);
    // The marks on the curves are symbols with a legend.
    expect(await page.locator('[aria-label="Marks on the Loss chart"] li').allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/Plateau/)]));
    await page.evaluate(() => document.querySelector('main')!.scrollTo(0, 0));
    await views('09-train-doctor-plateau');
    // The plateau's first fix trains the same settings with the rate ×10: the form shows them, the run starts.
    const fix = page.locator('[data-testid="doctor"] [data-finding="plateau"] button[data-remedy="retrain"]').first();
    expect(await fix.textContent()).toMatch(/Retrain with learning rate 0\.00001 \(×10\)/);
    await fix.click();
    const retrained = await startedRun(run);
    expect(Number(await page.inputValue('[data-testid="learning-rate"]'))).toBeCloseTo(0.00001, 12);
    expect(await page.inputValue('[data-testid="optimizer"]')).toBe('rmsprop');
    await page.click('button:has-text("Stop")');
    await runEnded(retrained);
  });

  it('compares two runs: settings that differ, overlaid curves', async () => {
    await go('runs');
    await page.waitForSelector('table.runs tbody tr');
    // The baseline, the low-rate run and its retrained fix.
    expect(await page.locator('table.runs tbody tr').count()).toBe(3);
    await page.locator('table.runs tbody input[type="checkbox"]').nth(1).check();
    await page.locator('table.runs tbody input[type="checkbox"]').nth(2).check();
    const diff = await page.waitForSelector('[data-testid="config-diff"]');
    expect(await diff.textContent()).toMatch(/learningRate/);
    await page.waitForSelector('[aria-label="Runs compared chart"]');
    expect(await page.textContent('[data-testid="compare-findings"]')).toMatch(/plateau/);
    await views('10-runs-compare');
  });

  it('renames, stars and deletes runs (asking first), and shows the settings of a run in the Train form', async () => {
    const rows = page.locator('table.runs tbody tr');
    // The newest run is the stopped fix; the second the low-rate run; the last the first baseline.
    const lowRate = rows.nth(1);
    await lowRate.locator('button:has-text("Rename")').click();
    await lowRate.locator('[data-testid="rename-input"]').fill('far too low a rate');
    await lowRate.locator('button:has-text("Save")').click();
    await page.waitForSelector('table.runs >> text=far too low a rate');
    expect(await rows.nth(1).locator('.pill.error').textContent()).toBe('did not learn');
    await rows.nth(2).locator('[data-testid="star"]').click();
    await page.waitForSelector('table.runs tbody tr:nth-child(3) [data-testid="star"][aria-pressed="true"]');
    expect(await rows.nth(2).textContent()).toMatch(/best/);
    await page.check('label:has-text("only starred") input');
    await expect.poll(() => rows.count()).toBe(1);
    await page.uncheck('label:has-text("only starred") input');
    await expect.poll(() => rows.count()).toBe(3);
    await views('10c-runs-managed');
    const newest = rows.nth(0);
    await newest.locator('button:has-text("Delete…")').click();
    expect(await newest.locator('[role="alert"]').textContent()).toMatch(/with its curve, checkpoints and stored predictions/);
    await newest.locator('button.danger:has-text("Delete")').click();
    await expect.poll(() => rows.count()).toBe(2);
    // The Train form takes the settings of the run it shows; its blanks show the real defaults.
    await rows.nth(0).locator('button:has-text("Curves")').click();
    await page.waitForSelector('[data-testid="form-from-run"]');
    expect(Number(await page.inputValue('[data-testid="learning-rate"]'))).toBeCloseTo(0.000001, 12);
    await page.click('[data-testid="form-from-run"] button:has-text("start from the defaults")');
    expect(await page.inputValue('[data-testid="learning-rate"]')).toBe('');
    // The placeholders are what the engine trains the baseline with when a field is left blank.
    const engine = (await trainPresets()).find((p) => p.name === 'baseline')!.config!;
    const shown = (v: unknown) => (v === null ? 'auto' : String(v));
    expect(await page.getAttribute('[data-testid="learning-rate"]', 'placeholder')).toBe(shown(engine.learningRate));
    expect(await page.getAttribute('[data-testid="epochs"]', 'placeholder')).toBe(shown(engine.epochs));
  });

  it('finds a learning rate with the range test and uses it', async () => {
    await go('train');
    await page.click('[data-preset="baseline"]');
    await page.click('[data-testid="lr-find"]');
    await page.waitForSelector('[data-testid="lr-result"] [aria-label="Loss against learning rate chart"]', { timeout: 120_000 });
    await page.click('[data-testid="use-lr"]');
    const used = Number(await page.inputValue('[data-testid="learning-rate"]'));
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThan(10);
    await views('10b-train-lr-find');
  });

  it('classifies a sentence', async () => {
    await go('classify');
    // The newest run is the low-learning-rate one; classify with the first, properly trained run.
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="run-picker"] option').length >= 2);
    const first = await page.locator('[data-testid="run-picker"] option').last().getAttribute('value');
    await page.selectOption('[data-testid="run-picker"]', first!);
    await page.fill('[data-testid="classify-text"]', 'Excellent product, works great and I love it.');
    // The first classification starts the classification worker (TensorFlow.js): 20-40 s at load 30 on two cores.
    await page.waitForSelector('[data-testid="prediction"] .probs li', { timeout: 120_000 });
    expect(await page.textContent('[data-testid="prediction"] .big')).toMatch(/positive|negative/);
    expect(await page.textContent('[data-testid="prediction"] .big')).toMatch(/^positive/);
    await views('11-classify');
    // A file of texts, classified in a batch, with a download link for the output.
    await page.setInputFiles('[data-testid="classify-file-input"]', {
      name: 'new.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('text\nTerrible, it broke in a day.\nWonderful and cheap.\n'),
    });
    await page.waitForFunction(() => (document.querySelector('[data-testid="classify-out"]') as HTMLInputElement | null)?.value.endsWith('.csv'));
    await page.click('[data-testid="classify-file-button"]');
    const batch = await page.waitForSelector('[data-testid="batch-result"]');
    expect(await batch.textContent()).toMatch(/Wrote 2 predictions/);
    const href = await page.getAttribute('[data-testid="batch-result"] a[download]', 'href');
    const csv = await (await fetch(href!)).text();
    expect(csv.split(/\r?\n/).filter(Boolean).length).toBe(3);
  });

  it('exports a bundle', async () => {
    await go('export');
    await page.waitForFunction(() => (document.querySelector('[data-testid="export-path"]') as HTMLInputElement | null)?.value.length);
    // Export starts from the best run by validation macro-F1, not the newest.
    expect(await page.inputValue('[data-testid="run-picker"]')).toBe(firstRun);
    const out = await page.inputValue('[data-testid="export-path"]');
    await page.click('[data-testid="export-button"]');
    await page.waitForSelector('[data-testid="export-result"]');
    expect(fs.existsSync(path.join(out, 'manifest.json'))).toBe(true);
    exportedBundle = out;
    await views('12-export');
  });

  it('adds the exported bundle to the project and classifies with it', async () => {
    expect(exportedBundle).toBeTruthy();
    await go('classify');
    await page.check('[data-testid="use-bundle"]');
    await page.fill('[data-testid="bundle-dir"]', exportedBundle!);
    await page.click('[data-testid="bundle-add"]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="bundle-picker"] option').length === 1);
    await page.fill('[data-testid="classify-text"]', 'Excellent product, works great and I love it.');
    // The first classification starts the classification worker (TensorFlow.js): 20-40 s at load 30 on two cores.
    await page.waitForSelector('[data-testid="prediction"] .probs li', { timeout: 120_000 });
    expect(await page.textContent('[data-testid="prediction"] .big')).toMatch(/^positive/);
    await shot('12b-classify-bundle');
    // The same bundle again is the same model, not a second one.
    await page.fill('[data-testid="bundle-dir"]', exportedBundle!);
    await page.click('[data-testid="bundle-add"]');
    await page.waitForFunction(() => !(document.querySelector('[data-testid="bundle-dir"]') as HTMLInputElement).value);
    expect(await page.locator('[data-testid="bundle-picker"] option').count()).toBe(1);
    // A batch file with the bundle.
    await page.setInputFiles('[data-testid="classify-file-input"]', {
      name: 'more.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('text\nTerrible, it broke in a day.\nWonderful and cheap.\nGreat value.\n'),
    });
    await page.waitForFunction(() => (document.querySelector('[data-testid="classify-out"]') as HTMLInputElement | null)?.value.endsWith('.csv'));
    await page.click('[data-testid="classify-file-button"]');
    const batch = await page.waitForSelector('[data-testid="batch-result"]');
    expect(await batch.textContent()).toMatch(/Wrote 3 predictions/);
    // Back to runs: the run picker is there as before.
    await page.check('[data-testid="use-run"]');
    await page.waitForSelector('[data-testid="run-picker"]');
  });

  it('stops a run from the task list and resumes it from its checkpoint', async () => {
    await go('train');
    await page.click('[data-preset="baseline"]');
    await page.fill('[data-testid="epochs"]', '5');
    await page.fill('[data-testid="learning-rate"]', '0.003');
    const previous = await page.getAttribute('[data-testid="run-status"]', 'data-run');
    await page.click('[data-testid="start"]');
    const run = await startedRun(previous);
    await page.waitForFunction(() => Number(document.querySelector('[aria-label="Accuracy chart"]')?.getAttribute('data-points') ?? 0) >= 1, null, { timeout: 120_000 });
    // The sidebar lists the running training with its progress; its Stop button stops it like the Train view's does.
    await page.click('button[aria-controls="task-list"]');
    expect(await page.textContent('button[aria-controls="task-list"]')).toBe('Tasks · 1 running');
    const task = page.locator('#task-list li[data-state="running"]');
    expect(await task.count()).toBe(1);
    expect(await task.locator('.title').textContent()).toMatch(/^Training baseline on /);
    await page.waitForFunction(() => /of 5 epochs/.test(document.querySelector('#task-list li[data-state="running"]')?.textContent ?? ''), null, { timeout: 60_000 });
    await shot('13-tasks-running');
    await task.locator('button', { hasText: 'Stop' }).click();
    await page.waitForFunction((id) => document.querySelector(`[data-testid="run-status"][data-run="${id}"] .pill`)?.textContent === 'stopped', run, { timeout: 120_000 });
    await page.waitForFunction(() => document.querySelector('#task-list li')?.getAttribute('data-state') === 'cancelled', null, { timeout: 30_000 });
    expect(await page.textContent('button[aria-controls="task-list"]')).toBe('Tasks');
    await shot('13-tasks-stopped');
    await page.click('button[aria-controls="task-list"]'); // closed again: the other tests' Stop buttons stay the only ones
    const stoppedAt = Number(await page.getAttribute('[aria-label="Accuracy chart"]', 'data-points'));
    expect(stoppedAt).toBeLessThan(5);
    await shot('13a-train-stopped');
    await page.click('button:has-text("Resume")');
    await page.waitForFunction(() => document.querySelector('[data-testid="run-status"] .pill')?.textContent !== 'stopped');
    await runEnded(run);
    expect(await page.textContent('[data-testid="run-status"] .pill')).toBe('finished');
    expect(Number(await page.getAttribute('[aria-label="Accuracy chart"]', 'data-points'))).toBeGreaterThan(stoppedAt);
    await shot('13b-train-resumed');
  });

  it('creates, renames and deletes a project (with confirmation)', async () => {
    await go('projects');
    await page.fill('input[placeholder="e.g. support tickets"]', 'scratch');
    await page.click('button:has-text("Create")');
    await page.waitForSelector('table.projects >> text=scratch');
    const row = page.locator('table.projects tbody tr[data-project="scratch"]');
    await row.locator('button:has-text("Rename")').click();
    await row.locator('input[aria-label="New name"]').fill('scratch two');
    await row.locator('button:has-text("Save")').click();
    await page.waitForSelector('table.projects >> text=scratch two');
    await views('13-projects');
    const renamed = page.locator('table.projects tbody tr[data-project="scratch two"]');
    await renamed.locator('button:has-text("Delete…")').click();
    expect(await renamed.locator('[role="alert"]').textContent()).toMatch(/Delete "scratch two"/);
    await renamed.locator('button.danger:has-text("Delete")').click();
    await page.waitForFunction(() => !document.querySelector('table.projects')?.textContent?.includes('scratch two'));
    expect(await page.locator('table.projects tbody tr').count()).toBe(1);
    await page.click('table.projects button:has-text("uci_sentiment")');
  });

  it('previews another sheet of a workbook picked with the file picker', async () => {
    await go('import');
    const xlsx = buildXlsx([
      { name: 'Notes', rows: [['about'], ['this workbook has two sheets']] },
      { name: 'Tickets', rows: [['description', 'team'], ...Array.from({ length: 12 }, (_, i) => [`printer ${i} is jammed again`, i % 2 ? 'hardware' : 'facilities'])] },
    ]);
    await page.setInputFiles('[data-testid="file-input"]', { name: 'tickets.xlsx', mimeType: 'application/octet-stream', buffer: Buffer.from(xlsx) });
    await page.waitForSelector('[data-testid="preview"] thead th');
    const sheetPicker = page.locator('label.field:has-text("Sheet") select');
    expect(await sheetPicker.inputValue()).toBe('Notes');
    await sheetPicker.selectOption('Tickets');
    await page.waitForFunction(() => document.querySelector('[data-testid="preview"] thead')?.textContent?.includes('team'));
    expect(await page.inputValue('[data-testid="label-column"]')).toBe('team');
    await shot('13c-import-xlsx-sheet');
  });

  it('runs the automatic search live, stops it, and uses its best model', async () => {
    await go('train');
    await page.click('[data-preset="auto"]');
    await page.fill('label:has-text("Time budget") input', '2');
    await page.click('button:has-text("Start the search")');
    // The trial training now is shown in plain words, with its curves live below.
    await page.waitForSelector('[data-testid="auto-current"]', { timeout: 60_000 });
    expect(await page.textContent('[data-testid="auto-current"]')).toMatch(/Baseline with its default settings/);
    await page.waitForFunction(() => Number(document.querySelector('[aria-label="Accuracy chart"]')?.getAttribute('data-points') ?? 0) >= 1, null, { timeout: 120_000 });
    await page.click('[data-testid="auto-stop"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="auto-status"]')?.textContent === 'stopped', null, { timeout: 120_000 });
    // One line per trial, named in words.
    const trials = await page.locator('[data-testid="auto-search"] table.leaderboard tbody tr').allTextContents();
    expect(trials.length).toBe(1);
    expect(trials[0]).toMatch(/Baseline with its default settings/);
    await page.waitForSelector('[data-testid="auto-winner"]');
    await page.evaluate(() => document.querySelector('main')!.scrollTo(0, 0));
    await views('10d-train-auto-search');
    const winner = await page.getAttribute('[data-testid="run-status"]', 'data-run');
    await page.click('[data-testid="use-export"]');
    await page.waitForSelector('[data-testid="run-picker"]');
    await expect.poll(() => page.inputValue('[data-testid="run-picker"]')).toBe(winner);
  });

  it('shows which device trains: a badge on every run, "Training will use" in the form, and the system page', async () => {
    await go('runs');
    await page.waitForSelector('table.runs [data-testid="device-badge"]');
    // Every run trained here on the CPU (automatic choice never takes the tests' software GPU).
    for (const text of await page.locator('table.runs [data-testid="device-badge"]').allTextContents()) expect(text).toMatch(/^CPU: /);
    await go('train');
    await page.waitForFunction(() => !/checking/.test(document.querySelector('[data-testid="will-use"]')?.textContent ?? 'checking'), null, { timeout: 90_000 });
    expect(await page.textContent('[data-testid="will-use"]')).toMatch(/^Training will use: CPU: /);
    expect(await page.textContent('[data-testid="run-status"] [data-testid="device-badge"]')).toMatch(/^CPU: /);
    // Asking for another backend says what it would use, or why it does not load.
    await page.click('details summary:has-text("Advanced")');
    await page.selectOption('[data-testid="backend-select"]', 'cpu');
    expect(await page.textContent('[data-testid="will-use"]')).toMatch(/Training will use: CPU/);
    await page.selectOption('[data-testid="backend-select"]', '');
    // Advanced shows the settings the chosen model has: no recurrent units for the baseline, pooling for an LSTM.
    await page.click('[data-preset="baseline"]');
    expect(await page.locator('details label.field:has-text("Units")').count()).toBe(0);
    await page.click('[data-preset="lstm"]');
    expect(await page.locator('details label.field:has-text("Units")').count()).toBe(1);
    expect(await page.locator('details label.field:has-text("Read the states by") select').inputValue()).toBe('');
    await page.click('[data-preset="baseline"]');
    await page.click('nav [data-view="system"]');
    await page.waitForSelector('[data-testid="backends"] tr[data-backend="wasm"]');
    expect(await page.textContent('[data-testid="backends"] tr[data-backend="wasm"]')).toMatch(/loads/);
    expect(await page.textContent('[data-testid="system-device"]')).toMatch(/uses \w+, on CPU: /);
    await views('17-system');
    await go('train');
  });

  it('fits a 1024×700 window and has no page errors', async () => {
    await page.setViewportSize({ width: 1024, height: 700 });
    await go('train');
    await page.waitForSelector('[data-testid="run-status"]');
    // The charts were drawn at 1280 px and the window shrank under them: each one follows its card's width.
    await page.waitForFunction(() => {
      const charts = [...document.querySelectorAll('.chart')];
      return charts.length > 0 && charts.every((c) => {
        const card = c.closest('.card') ?? c.parentElement!;
        return c.querySelector('canvas')!.getBoundingClientRect().right <= card.getBoundingClientRect().right + 1;
      });
    }, null, { timeout: 5_000 });
    await shot('14-train-1024x700');
    // Keyboard: Alt+3 opens the Data view.
    await page.keyboard.press('Alt+3');
    await page.waitForSelector('[data-testid="virtual-list"]');
    // The screenshot shows the rows, not the moment before the first page arrives.
    await page.waitForFunction(() => /^3,000 rows/.test(document.querySelector('[data-testid="row-count"]')?.textContent ?? ''));
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot('15-data-dark-1024x700');
    await go('evaluate');
    await page.waitForSelector('[data-testid="confusion"] button.cell');
    await shot('16-evaluate-dark');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    expect(pageErrors).toEqual([]);
  });
});
