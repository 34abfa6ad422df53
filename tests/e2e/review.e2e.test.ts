// A first start with nothing to import: "Try it with a sample" (issue 15, item 6), then the review you can act on
// (item 3): conflicts grouped by text with "Keep X", duplicates removed and re-split with undo from the notice and
// from the audit trail, "select all N matching", a typo'd new label caught with the nearest existing one offered,
// "Select visible" selecting exactly the rows on screen; and full-text search as you type (item 8).
// Every view screenshotted at 1024×700 and 1600×1000, light and dark, with axe-core.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { tempDir } from '../fixtures/data.ts';
import { describeViolations, haveChromium, removeDir, shotAll, startApp, stopApp, type RunningApp } from './harness.ts';

let dir: string;
let app: RunningApp;
let url: string;
let page: Page;
let errors: string[];

async function views(name: string): Promise<void> {
  const violations = await shotAll(page, name);
  expect(violations, `${name}:\n${describeViolations(violations)}`).toEqual([]);
}

async function rows(): Promise<number> {
  const text = (await page.textContent('[data-testid="row-count"]')) ?? '';
  return Number(text.replace(/ rows.*$/, '').replace(/[^0-9]/g, ''));
}

async function rowsBecome(test: (n: number) => boolean): Promise<number> {
  let n = -1;
  await expect.poll(async () => ((n = await rows()), test(n)), { timeout: 20_000 }).toBe(true);
  return n;
}

async function checkCount(id: string): Promise<number> {
  const t = (await page.textContent(`[data-testid="review"] [data-check="${id}"] .head`)) ?? '';
  return Number(t.replace(/[^0-9]/g, '') || 0);
}

describe.skipIf(!haveChromium)('sample dataset and review actions', () => {
  beforeAll(async () => {
    dir = tempDir('textbench-e2e-review-');
    app = await startApp(dir, { width: 1024, height: 700 });
    ({ url, page, errors } = app);
  });

  afterAll(async () => {
    await stopApp(app);
    removeDir(dir);
  });

  it('offers the sample on the empty first screen and imports it into a project', async () => {
    await page.goto(url);
    await page.waitForSelector('[data-testid="try-sample"]');
    await views('00-first-start');
    await page.click('[data-testid="try-sample"]');
    await page.waitForFunction(() => /^898 rows/.test(document.querySelector('[data-testid="row-count"]')?.textContent ?? ''), null, { timeout: 30_000 });
    expect(await page.locator('nav select option:checked').textContent()).toBe('Job duties (sample)');
    await page.waitForSelector('[data-testid="review"] [data-check="conflicts"]');
    await views('20-data-sample');
  });

  it('groups conflicting texts and keeps the label picked for every copy, undoable from the notice', async () => {
    const before = await checkCount('conflicts');
    expect(before).toBe(10);
    await page.click('[data-testid="resolve-conflicts"]');
    await page.waitForSelector('[data-testid="conflicts"] li');
    expect(await page.locator('[data-testid="conflicts"] li').count()).toBe(5);
    // Twins are listed next to each other in the rows under the resolver.
    const hashes = await page.evaluate(() => [...document.querySelectorAll('[data-testid="virtual-list"] .vrow .text')].map((e) => e.textContent));
    for (let i = 0; i + 1 < hashes.length; i += 2) expect(hashes[i]).toBe(hashes[i + 1]);
    await views('21-data-conflicts');
    const first = page.locator('[data-testid="conflicts"] li').first();
    const keep = first.locator('button[data-keep]').first();
    await keep.click();
    await page.waitForSelector('.notice >> text=Relabelled');
    await expect.poll(() => checkCount('conflicts')).toBe(8);
    await page.locator('.notice button:has-text("Undo")').click();
    await expect.poll(() => checkCount('conflicts')).toBe(10);
  });

  it('removes duplicates keeping one copy, re-splits leaks, and lists both in the changes, each undoable', async () => {
    await page.click('button:has-text("Clear filters")');
    await rowsBecome((n) => n === 898);
    await page.click('[data-testid="remove-duplicates"]');
    await page.waitForSelector('.notice >> text=Removed 4 duplicate copies');
    await rowsBecome((n) => n === 894);
    // Only copies under other labels (conflicts, for a person) are left as duplicates.
    await expect.poll(() => checkCount('duplicates')).toBe(5);
    await page.click('[data-testid="changes"] summary');
    expect(await page.locator('[data-testid="changes"] li').count()).toBeGreaterThanOrEqual(2);
    expect(await page.textContent('[data-testid="changes"] li:first-child')).toMatch(/Removed 4 duplicate copies/);
    if ((await checkCount('leaks')) > 0) {
      await page.click('[data-testid="resplit"]');
      await page.waitForSelector('.notice >> text=sits in one split');
      await expect.poll(() => checkCount('leaks')).toBe(0);
    }
    await views('22-data-changes');
    // Undo from the audit trail: newest first, until the duplicates are back.
    while ((await page.locator('[data-testid="changes"] li button:has-text("Undo")').count()) > 0) {
      const n = await page.locator('[data-testid="changes"] li button:has-text("Undo")').count();
      await page.locator('[data-testid="changes"] li button:has-text("Undo")').first().click();
      await expect.poll(() => page.locator('[data-testid="changes"] li button:has-text("Undo")').count()).toBe(n - 1);
    }
    await rowsBecome((n) => n === 898);
    await expect.poll(() => checkCount('duplicates')).toBe(9);
  });

  it('selects exactly the rows on screen, or all matching; a typo for a label asks first and offers the nearest', async () => {
    // Select visible: as many rows as are on screen, not the dozen rendered around them for scrolling.
    await page.click('button:has-text("Select visible")');
    const onScreen = await page.evaluate(() => {
      const list = document.querySelector('[data-testid="virtual-list"]')!.getBoundingClientRect();
      const head = document.querySelector('[data-testid="virtual-list"] .vhead')!.getBoundingClientRect();
      return [...document.querySelectorAll('[data-testid="virtual-list"] .vrow')].filter((r) => {
        const b = r.getBoundingClientRect();
        return b.top >= head.bottom - 1 && b.bottom <= list.bottom + 1;
      }).length;
    });
    expect(await page.textContent('[data-testid="selection"]')).toBe(`${onScreen} selected`);
    await page.click('button:has-text("Clear selection")');

    await page.selectOption('select[aria-label="Label"]', 'Legal');
    const legal = await rowsBecome((n) => n > 0 && n < 898);
    await page.click('[data-testid="select-all"]');
    expect(await page.textContent('[data-testid="selection"]')).toBe(`All ${legal} matching selected`);
    await page.fill('[data-testid="bulk-label"]', 'Legl');
    await page.click('[data-testid="relabel-selection"]');
    const confirm = await page.waitForSelector('[data-testid="confirm-new-label"]');
    expect(await confirm.textContent()).toMatch(/“Legl” is not a label.*Did you mean “Legal”\?/);
    await views('23-data-new-label');
    await page.click('button:has-text("Cancel")');
    await page.fill('[data-testid="bulk-label"]', 'Educaton');
    await page.click('[data-testid="relabel-selection"]');
    await page.waitForSelector('[data-testid="use-suggestion"]');
    expect(await page.textContent('[data-testid="use-suggestion"]')).toBe('Use “Education, Training, and Library”');
    await page.click('[data-testid="use-suggestion"]');
    await page.waitForSelector(`.notice >> text=Relabelled ${legal} examples as “Education, Training, and Library”`);
    await rowsBecome((n) => n === 0);
    // No class was made from the typo.
    expect(await page.locator('select[aria-label="Label"] option').allTextContents()).not.toContain('Educaton');
    // Only the relabel offers Undo: a batch undone from the changes list (the test before) withdraws its notice's Undo.
    expect(await page.locator('.notice button:has-text("Undo")').count()).toBe(1);
    await page.locator('.notice:has-text("Relabelled") button:has-text("Undo")').click();
    await rowsBecome((n) => n === legal);
  });

  it('searches the texts as you type, by words and word beginnings', async () => {
    await page.click('button:has-text("Clear filters")');
    await rowsBecome((n) => n === 898);
    await page.fill('[data-testid="search"]', 'nurs');
    const nurs = await rowsBecome((n) => n > 0 && n < 898);
    const texts = await page.evaluate(() => [...document.querySelectorAll('[data-testid="virtual-list"] .vrow .text')].map((e) => e.textContent!.toLowerCase()));
    for (const t of texts) expect(t).toMatch(/\bnurs/);
    await page.fill('[data-testid="search"]', 'nursing care');
    await rowsBecome((n) => n > 0 && n <= nurs);
    await views('24-data-search');
    expect(errors).toEqual([]);
  });
});
