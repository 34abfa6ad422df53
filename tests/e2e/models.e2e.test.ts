// The models' own views in a real browser (issues 10, 11 and 15): the linear model's top n-grams per class and
// the calibration error in Evaluate, the words behind a prediction highlighted in Classify, the ensemble offered
// in Train (members picked, then its fitted weights), the pretraining step's progress, and the Runs table at
// 1024×700 with a Resume button for a run whose process was killed. On the UCI Amazon reviews (1,000 texts):
// small enough that a linear model, two short neural runs and a killed one train in about a minute here.
// Screenshots at 1024×700 and 1600×1000, light and dark; axe-core finds nothing serious or critical.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { Page } from 'playwright-core';
import { Workbench } from '../../main/engine/workbench.ts';
import { UCI_RAW, tempDir } from '../fixtures/data.ts';
import { describeViolations, haveChromium, removeDir, repoRoot, shotAll, startApp, stopApp, type RunningApp } from './harness.ts';

let dir: string;
let app: RunningApp;
let page: Page;
let linearRun: string;
let gruRun: string;
let killedRun: string;
/** Epochs the killed run had stored when its process died. */
let killedEpochs: number;

const TEXT = 'Great phone, the battery is excellent but the case broke after a week.';

async function views(name: string): Promise<void> {
  const violations = await shotAll(page, name);
  expect(violations, `${name}:\n${describeViolations(violations)}`).toEqual([]);
}

async function go(view: string): Promise<void> {
  await page.click(`nav button[data-view="${view}"]`);
}

/** The run the Train view shows now (null: none). */
function shownRun(): Promise<string | null> {
  return page.evaluate(() => document.querySelector('[data-testid="run-status"]')?.getAttribute('data-run') ?? null);
}

/** The run the Train view shows once it is not `previous` any more. */
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

async function statusOf(run: string, pattern: RegExp, timeout = 170_000): Promise<void> {
  await page.waitForFunction(
    ([id, source]) => new RegExp(source!).test(document.querySelector(`[data-testid="run-status"][data-run="${id}"] .pill`)?.textContent ?? ''),
    [run, pattern.source],
    { timeout },
  );
}

/** Trains a baseline in the CLI and kills it (SIGKILL) after its second epoch: the run is left `interrupted`. */
async function killedMidway(ws: string): Promise<void> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'main/cli/textbench.mjs'), 'train', '--workspace', ws, '--model', 'baseline', '--epochs', '100', '--name', 'killed mid-way'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((r) => child.once('exit', r));
  const lines = readline.createInterface({ input: child.stderr! });
  const out = readline.createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    const onLine = (l: string) => {
      if (/^epoch 2\//.test(l)) resolve();
    };
    lines.on('line', onLine);
    out.on('line', onLine);
    child.once('exit', (code) => reject(new Error(`the training ended (${code}) before its second epoch`)));
  });
  child.kill('SIGKILL');
  await exited;
}

describe.skipIf(!haveChromium)('the models in a real browser', () => {
  beforeAll(async () => {
    dir = tempDir('textbench-e2e-models-');
    const csv = path.join(dir, 'amazon.csv');
    const rows = fs
      .readFileSync(UCI_RAW[0]!, 'utf8')
      .split(/\r?\n/)
      .filter(Boolean)
      .map((l) => l.split('\t'));
    const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
    fs.writeFileSync(csv, ['text,label', ...rows.map(([t, l]) => `${q(t!)},${l!.trim() === '1' ? 'positive' : 'negative'}`)].join('\n') + '\n');
    const ws = path.join(dir, 'ws');
    const wb = Workbench.open({ workspace: ws });
    try {
      await wb.data.importFile(csv, { project: 'amazon', text: ['text'], label: 'label' });
      const linear = await wb.training.train({ project: 'amazon', model: 'linear', cvFolds: 3 });
      expect(linear.status).toBe('finished');
      linearRun = linear.run;
      const gru = await wb.training.train({ project: 'amazon', model: 'gru', epochs: 3 });
      expect(gru.status).toBe('finished');
      gruRun = gru.run;
    } finally {
      await wb.close();
    }
    await killedMidway(ws);
    const check = Workbench.open({ workspace: ws });
    try {
      const killed = check.training.list('amazon').find((r) => r.name === 'killed mid-way')!;
      expect(killed.status).toBe('interrupted');
      killedRun = killed.id;
      killedEpochs = killed.epochs;
      expect(killedEpochs).toBeGreaterThanOrEqual(1);
    } finally {
      await check.close();
    }
    app = await startApp(ws, { width: 1024, height: 700 });
    page = app.page;
    await page.goto(app.url);
  }, 400_000);

  afterAll(async () => {
    await stopApp(app);
    removeDir(dir);
  });

  it('Evaluate shows what the linear model looks for (top n-grams each way, per class) and its calibration error', async () => {
    await go('evaluate');
    await page.waitForSelector('[data-testid="evaluate-run"]');
    await page.selectOption('[data-testid="evaluate-run"]', linearRun);
    await page.waitForSelector('[data-testid="ngrams"] ol.for li');
    await page.waitForSelector('[data-testid="reliability"] svg');
    // Fifteen n-grams each way, strongest first, the bars as long as their weights.
    const lists = await page.evaluate(() =>
      ['for', 'against'].map((k) => [...document.querySelectorAll(`[data-testid="ngrams"] ol.${k} li`)].map((li) => ({ text: li.querySelector('.txt')!.textContent!, weight: Number(li.querySelector('.num')!.textContent!.replace('−', '-')) }))),
    );
    const [pos, neg] = lists as [Array<{ text: string; weight: number }>, Array<{ text: string; weight: number }>];
    expect(pos).toHaveLength(15);
    expect(neg).toHaveLength(15);
    expect(pos.every((n, i) => n.weight > 0 && (i === 0 || n.weight <= pos[i - 1]!.weight))).toBe(true);
    expect(neg.every((n, i) => n.weight < 0 && (i === 0 || n.weight >= neg[i - 1]!.weight))).toBe(true);
    // The model learned sentiment: the first class shown is "negative", with a negative word for it and a positive one against it.
    expect(await page.inputValue('[data-testid="ngram-class"]')).toBe('negative');
    expect(pos.map((n) => n.text)).toEqual(expect.arrayContaining([expect.stringMatching(/^(not|bad|poor|worst)$/)]));
    expect(neg.map((n) => n.text)).toEqual(expect.arrayContaining([expect.stringMatching(/^(great|good|excellent|love|best|works)$/)]));
    // Another class: the other side of the same one-vs-rest problem.
    await page.selectOption('[data-testid="ngram-class"]', 'positive');
    await page.waitForFunction(() => /Speak for positive/.test(document.querySelector('[data-testid="ngrams"] h3')?.textContent ?? ''));
    const posFor = await page.locator('[data-testid="ngrams"] ol.for li .txt').allTextContents();
    expect(posFor[0]).toBe(neg[0]!.text);
    // The calibration error in the figures bar is the reliability diagram's (in points there).
    const ece = Number(await page.textContent('[data-testid="ece"]'));
    expect(ece).toBeGreaterThanOrEqual(0);
    expect(ece).toBeLessThan(0.5);
    const points = Number(/calibration error ([\d.]+) points/.exec((await page.textContent('[data-testid="reliability"] figcaption'))!)![1]);
    expect(Math.abs(points - ece * 100)).toBeLessThanOrEqual(0.051);
    await views('evaluate-linear');
    await page.locator('[data-testid="ngrams"]').scrollIntoViewIfNeeded();
    await shotAll(page, 'evaluate-linear-ngrams', { axe: false });
  });

  it('Classify highlights the words behind a linear prediction', async () => {
    await go('classify');
    await page.waitForSelector('[data-testid="run-picker"]');
    await page.selectOption('[data-testid="run-picker"]', linearRun);
    await page.fill('[data-testid="classify-text"]', TEXT);
    await page.waitForSelector('[data-testid="explanation"] mark');
    const label = (await page.textContent('[data-testid="prediction"] .big'))!.split(' ')[0];
    expect(await page.textContent('[data-testid="explanation"] h3')).toBe(`Why “${label}”`);
    // The highlighted text is the text, whole; marks on words, both ways for this mixed review.
    expect(await page.textContent('[data-testid="highlighted"]')).toBe(TEXT);
    const marks = await page.evaluate(() => [...document.querySelectorAll('[data-testid="highlighted"] mark')].map((m) => ({ text: m.textContent!, pos: m.classList.contains('pos') })));
    expect(marks.some((m) => m.pos)).toBe(true);
    expect(marks.some((m) => !m.pos)).toBe(true);
    // The strongest n-gram towards the label is a word of the text, marked as pushing towards it.
    const towards = await page.locator('[data-testid="explain-towards"] li .ng:not(.char)').allTextContents();
    const word = towards.find((t) => !t.includes(' '))!;
    expect(TEXT.toLowerCase()).toContain(word);
    expect(marks.filter((m) => m.pos).map((m) => m.text.toLowerCase())).toContain(word);
    await views('classify-explained');
    // A neural run has no weights to read: no explanation, no error.
    await page.selectOption('[data-testid="run-picker"]', gruRun);
    await page.waitForFunction(() => !document.querySelector('[data-testid="explanation"]'));
    expect(app.errors).toEqual([]);
  });

  it('Train offers the ensemble: pick its members, train it, show their fitted weights', async () => {
    await go('train');
    await page.click('[data-preset="ensemble"]');
    await page.waitForSelector(`[data-testid="ensemble-members"] input[data-run="${gruRun}"]`);
    // The killed run is no member (not finished), nor the linear run (the ensemble fits its own linear member).
    expect(await page.locator(`[data-testid="ensemble-members"] input[data-run="${killedRun}"]`).count()).toBe(0);
    expect(await page.locator(`[data-testid="ensemble-members"] input[data-run="${linearRun}"]`).count()).toBe(0);
    await page.check('[data-testid="ensemble-pick"]');
    expect(await page.isDisabled('[data-testid="start"]')).toBe(true);
    await page.check(`[data-testid="ensemble-members"] input[data-run="${gruRun}"]`);
    await views('train-ensemble-form');
    const previous = await shownRun();
    await page.click('[data-testid="start"]');
    const run = await startedRun(previous);
    await statusOf(run, /finished|failed/);
    expect(await page.textContent(`[data-testid="run-status"][data-run="${run}"] .pill`)).toBe('finished');
    await page.waitForSelector('[data-testid="ensemble-fit"] tbody tr');
    const members = await page.locator('[data-testid="ensemble-fit"] tbody tr').allTextContents();
    expect(members).toHaveLength(2);
    expect(members.some((m) => /gru/.test(m))).toBe(true);
    expect(members.some((m) => /linear/.test(m))).toBe(true);
    const weights = await page.evaluate(() => [...document.querySelectorAll('[data-testid="ensemble-fit"] tbody tr')].map((tr) => Number(tr.children[2]!.textContent)));
    expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 2);
    // An ensemble has no epochs or curves of its own.
    expect(await page.locator('.charts').count()).toBe(0);
    await views('train-ensemble');
    // Classify offers the ensemble run like any other and classifies with it (through its bundle, made on first use).
    await go('classify');
    await page.selectOption('[data-testid="run-picker"]', run);
    await page.fill('[data-testid="classify-text"]', 'Prepare and serve food and drinks to customers in a restaurant.');
    await page.waitForFunction(() => /\d+(\.\d+)?\s*%/.test(document.querySelector('[data-testid="prediction"] .big')?.textContent ?? ''), null, { timeout: 60_000 });
    await go('train');
  });

  it('Train shows the pretraining step of word vectors as it runs', async () => {
    await page.click('[data-preset="baseline"]');
    await page.fill('[data-testid="epochs"]', '1');
    await page.click('details summary:has-text("Advanced")');
    await page.getByLabel('Pretrain word vectors').selectOption('subword');
    const previous = await shownRun();
    await page.click('[data-testid="start"]');
    const run = await startedRun(previous);
    await page.waitForSelector('[data-testid="pretrain-progress"] [role="progressbar"]', { timeout: 120_000 });
    // The bar moves as the passes over the texts go on.
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="pretrain-progress"] [role="progressbar"]')?.getAttribute('aria-valuenow') ?? 0) > 0, null, { timeout: 60_000 });
    expect(await page.textContent('[data-testid="pretrain-progress"]')).toMatch(/pass \d+ of \d+/);
    await shotAll(page, 'train-pretraining', { axe: false, before: (p) => p.locator('[data-testid="run-status"]').scrollIntoViewIfNeeded() });
    await statusOf(run, /finished|failed/);
    expect(await page.textContent(`[data-testid="run-status"][data-run="${run}"] .pill`)).toBe('finished');
    expect(await page.textContent('[data-testid="pretrain-done"]')).toMatch(/Word vectors pretrained on this project's texts \(\d+ passes/);
  });

  it('Runs fits 1024×700 without scrolling sideways, and resumes the killed run from its checkpoint', async () => {
    await go('runs');
    await page.waitForSelector(`tr[data-run="${killedRun}"]`);
    const card = page.locator('.table-card');
    expect(await card.evaluate((el) => el.scrollWidth - el.clientWidth)).toBeLessThanOrEqual(0);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    // Every row's buttons are inside the window.
    const right = await page.evaluate(() => Math.max(...[...document.querySelectorAll('table.runs button')].map((b) => b.getBoundingClientRect().right)));
    expect(right).toBeLessThanOrEqual(1024);
    expect(await page.textContent(`tr[data-run="${killedRun}"] .pill`)).toBe('interrupted');
    // Only the interrupted network run offers Resume.
    expect(await page.locator('[data-testid="resume"]').count()).toBe(1);
    await views('runs-interrupted');
    await page.click(`tr[data-run="${killedRun}"] [data-testid="resume"]`);
    await page.waitForSelector(`[data-testid="run-status"][data-run="${killedRun}"]`);
    await statusOf(killedRun, /running|finished/, 60_000);
    // It goes on from its checkpoint: past the epochs the killed process finished.
    await page.waitForFunction((n) => Number(/Epoch (\d+)/.exec(document.querySelector('[data-testid="run-status"]')?.textContent ?? '')?.[1] ?? 0) > n, killedEpochs, { timeout: 120_000 });
    await page.click('button:has-text("Stop")', { timeout: 5000 }).catch(() => {});
    await statusOf(killedRun, /stopped|finished/);
    expect(app.errors).toEqual([]);
  });
});
