// The whole job through the browser: Debian's Chromium (driven by playwright-core) against `textbench serve`
// on a temporary workspace. Import through the drop zone, review, train the baseline and watch the curve grow,
// evaluate and open a confusion-matrix cell, classify a sentence, export a bundle. Every view is screenshotted
// into $TEXTBENCH_SCREENSHOTS (default: <tmp>/textbench-e2e-screenshots).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { buildXlsx } from '../fixtures/data.ts';
import { describeViolations, ensureRendererBuilt, haveChromium, launchChromium, repoRoot, shot as shotPage, shotAll, startServe, stopServe, CHROMIUM } from './harness.ts';

const DATASET = path.resolve(repoRoot, '../shared/datasets/uci_sentiment_labelled_sentences/uci_sentiment.csv');
if (!haveChromium) console.warn(`e2e: skipped: ${CHROMIUM} is missing (CI installs Debian's chromium; apt-get install chromium).`);

let workspace: string;
let server: ChildProcess;
let url: string;
let browser: BrowserContext;
let page: Page;
let pageErrors: string[] = [];
/** The folder the export step wrote, added back through the Classify view. */
let exportedBundle: string | null = null;

async function shot(name: string): Promise<void> {
  await shotPage(page, name);
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
    await ensureRendererBuilt();
    ({ child: server, url } = await startServe(workspace));
    ({ browser, page, errors: pageErrors } = await launchChromium());
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && page) await shot(`FAILED-${ctx.task.name.replace(/[^a-z0-9]+/gi, '-')}`);
  });

  afterAll(async () => {
    await browser?.close();
    await stopServe(server);
    if (workspace) fs.rmSync(workspace, { recursive: true, force: true });
  });

  it('refuses the page without the token', async () => {
    const res = await fetch(url.replace(/\?token=.*/, ''));
    expect(res.status).toBe(401);
  });

  it('shows import errors in plain words next to the offending lines', async () => {
    await page.goto(url);
    await page.waitForSelector('[data-testid="dropzone"]');
    await shot('01-import-empty');
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
    await shot('02-import-preview');
    await page.click('[data-testid="import-button"]');
    const result = await page.waitForSelector('[data-testid="import-result"]');
    expect(await result.textContent()).toContain('Imported 3,000 examples');
    await shot('03-import-done');
  });

  it('shows the review and the rows behind a check', async () => {
    await page.click('text=Review the data');
    await page.waitForSelector('[data-testid="review"] .checks li');
    await page.waitForFunction(() => /3,000 rows/.test(document.querySelector('[data-testid="row-count"]')?.textContent ?? ''));
    expect(await page.locator('[data-testid="virtual-list"] .erow').count()).toBeGreaterThan(5);
    // Only the visible rows exist in the DOM.
    expect(await page.locator('[data-testid="virtual-list"] .erow').count()).toBeLessThan(120);
    await shot('04-data-review');
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
    await page.click('button:has-text("Undo")');
    await page.waitForSelector('.notice >> text=Undid 1 label edit');
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
    await page.waitForFunction(() => Number(document.querySelector('[aria-label="Accuracy chart"]')?.getAttribute('data-points') ?? 0) >= 1, null, { timeout: 120_000 });
    await shot('05-train-running');
    await runEnded(run);
    expect(await page.textContent('[data-testid="run-status"] .pill')).toBe('finished');
    expect(await page.getAttribute('[aria-label="Accuracy chart"]', 'data-points')).toBe('3');
    const seen = await page.evaluate(() => (window as unknown as { __points: number[] }).__points);
    expect(seen.filter((n) => n > 0)).toEqual([1, 2, 3]);
    expect(await page.textContent('[data-testid="backend"]')).toMatch(/wasm|cpu|tensorflow/);
    await shot('06-train-finished');
  });

  it('evaluates the run and opens the examples behind a confusion-matrix cell', async () => {
    await go('evaluate');
    await page.waitForSelector('[data-testid="confusion"] button.cell');
    expect(await page.textContent('[data-testid="accuracy"]')).toMatch(/%/);
    await shot('07-evaluate');
    const violations = await shotAll(page, 'evaluate');
    expect(violations, describeViolations(violations)).toEqual([]);
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

  it('shows the doctor findings on the curves of a run with a far too low learning rate', async () => {
    await go('train');
    await page.click('[data-preset="baseline"]');
    await page.fill('[data-testid="epochs"]', '4');
    await page.fill('input[placeholder="default"] >> nth=0', '0.000001');
    await page.click('summary:has-text("Advanced")');
    await page.selectOption('select:has(option[value="rmsprop"])', 'rmsprop');
    await page.selectOption('select:has(option[value="macro-f1"])', 'none');
    const previous = await page.getAttribute('[data-testid="run-status"]', 'data-run');
    await page.click('[data-testid="start"]');
    await runEnded(await startedRun(previous));
    await page.waitForFunction(() => /plateau/.test(document.querySelector('[data-testid="doctor"]')?.textContent ?? ''), null, { timeout: 20_000 });
    await page.evaluate(() => document.querySelector('main')!.scrollTo(0, 0));
    await shot('09-train-doctor-plateau');
  });

  it('compares two runs: settings that differ, overlaid curves', async () => {
    await go('runs');
    await page.waitForSelector('table.runs tbody tr');
    expect(await page.locator('table.runs tbody tr').count()).toBe(2);
    await page.locator('table.runs tbody input[type="checkbox"]').nth(0).check();
    await page.locator('table.runs tbody input[type="checkbox"]').nth(1).check();
    const diff = await page.waitForSelector('[data-testid="config-diff"]');
    expect(await diff.textContent()).toMatch(/learningRate/);
    await page.waitForSelector('[aria-label="Runs compared chart"]');
    expect(await page.textContent('[data-testid="compare-findings"]')).toMatch(/plateau/);
    await shot('10-runs-compare');
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
    await shot('10b-train-lr-find');
  });

  it('classifies a sentence', async () => {
    await go('classify');
    // The newest run is the low-learning-rate one; classify with the first, properly trained run.
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="run-picker"] option').length === 2);
    const first = await page.locator('[data-testid="run-picker"] option').last().getAttribute('value');
    await page.selectOption('[data-testid="run-picker"]', first!);
    await page.fill('[data-testid="classify-text"]', 'Excellent product, works great and I love it.');
    await page.waitForSelector('[data-testid="prediction"] .probs li');
    expect(await page.textContent('[data-testid="prediction"] .big')).toMatch(/positive|negative/);
    expect(await page.textContent('[data-testid="prediction"] .big')).toMatch(/^positive/);
    await shot('11-classify');
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
    const out = await page.inputValue('[data-testid="export-path"]');
    await page.click('[data-testid="export-button"]');
    await page.waitForSelector('[data-testid="export-result"]');
    expect(fs.existsSync(path.join(out, 'manifest.json'))).toBe(true);
    exportedBundle = out;
    await shot('12-export');
  });

  it('adds the exported bundle to the project and classifies with it', async () => {
    expect(exportedBundle).toBeTruthy();
    await go('classify');
    await page.check('[data-testid="use-bundle"]');
    await page.fill('[data-testid="bundle-dir"]', exportedBundle!);
    await page.click('[data-testid="bundle-add"]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="bundle-picker"] option').length === 1);
    await page.fill('[data-testid="classify-text"]', 'Excellent product, works great and I love it.');
    await page.waitForSelector('[data-testid="prediction"] .probs li');
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

  it('stops a run and resumes it from its checkpoint', async () => {
    await go('train');
    await page.click('[data-preset="baseline"]');
    await page.fill('[data-testid="epochs"]', '5');
    await page.fill('[data-testid="learning-rate"]', '0.003');
    const previous = await page.getAttribute('[data-testid="run-status"]', 'data-run');
    await page.click('[data-testid="start"]');
    const run = await startedRun(previous);
    await page.waitForFunction(() => Number(document.querySelector('[aria-label="Accuracy chart"]')?.getAttribute('data-points') ?? 0) >= 1, null, { timeout: 120_000 });
    await page.click('button:has-text("Stop")');
    await page.waitForFunction((id) => document.querySelector(`[data-testid="run-status"][data-run="${id}"] .pill`)?.textContent === 'stopped', run, { timeout: 120_000 });
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
    await shot('13-projects');
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

  it('fits a 1024×700 window and has no page errors', async () => {
    await page.setViewportSize({ width: 1024, height: 700 });
    await go('train');
    await page.waitForSelector('[data-testid="run-status"]');
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
