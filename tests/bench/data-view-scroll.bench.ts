// Data view with 100,000 examples in Chromium against `textbench serve`: time to the first rows, frame times
// while scrolling the virtual table, how many rows exist in the DOM, and the wait for rows after a jump to the end.
// Compared with the 60 fps frame budget (16.7 ms).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { chromium } from 'playwright-core';
import { Workbench } from '../../main/engine/workbench.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const ROWS = 100_000;

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

export async function run(): Promise<void> {
  if (!fs.existsSync('/usr/bin/chromium')) {
    console.log('data-view-scroll: skipped, /usr/bin/chromium is missing');
    return;
  }
  if (!fs.existsSync(path.join(repoRoot, 'dist/renderer/index.html'))) {
    console.log('data-view-scroll: skipped, build the renderer first (npm run prepare)');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-scroll-'));
  const file = path.join(dir, 'big.csv');
  const labels = ['billing', 'shipping', 'returns', 'account', 'technical'];
  const out = fs.createWriteStream(file);
  out.write('text,label\n');
  for (let i = 0; i < ROWS; i++) out.write(`ticket ${i}: the customer writes about ${labels[i % 5]} and needs an answer soon,${labels[(i * 7) % 5]}\n`);
  await new Promise<void>((r) => out.end(r));

  const wb = Workbench.open({ workspace: path.join(dir, 'ws') });
  const t0 = performance.now();
  await wb.data.importFile(file, { project: 'big', text: ['text'], label: 'label' });
  console.log(`import of ${ROWS.toLocaleString('en-US')} rows: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  await wb.close();

  const serve = spawn(process.execPath, [path.join(repoRoot, 'main/cli/textbench.mjs'), 'serve', '--workspace', path.join(dir, 'ws'), '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve) => readline.createInterface({ input: serve.stdout! }).once('line', (l) => resolve((JSON.parse(l) as { url: string }).url)));
  const context = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(os.tmpdir(), 'tb-scroll-chromium-')), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const t1 = performance.now();
    await page.goto(url);
    await page.waitForFunction(() => /100,000 rows/.test(document.querySelector('[data-testid="row-count"]')?.textContent ?? ''), null, { timeout: 60_000 });
    await page.waitForSelector('[data-testid="virtual-list"] .erow .labbtn');
    console.log(`page load to first rows: ${(performance.now() - t1).toFixed(0)} ms`);

    // Two speeds: a wheel notch per frame (120 px, a fast human scroll) and a fling (1,200 px per frame).
    for (const step of [120, 1200]) {
      const frames = await page.evaluate(async (px) => {
        const el = document.querySelector('[data-testid="virtual-list"]') as HTMLElement;
        const times: number[] = [];
        let last = performance.now();
        for (let i = 0; i < 300; i++) {
          el.scrollTop += px;
          await new Promise((r) => requestAnimationFrame(() => r(null)));
          const now = performance.now();
          times.push(now - last);
          last = now;
        }
        return { times, domRows: el.querySelectorAll('.vrow').length };
      }, step);
      const over = frames.times.filter((t) => t > 1000 / 60 + 1).length;
      console.log(
        `scroll ${step} px/frame: p50 ${quantile(frames.times, 0.5).toFixed(1)} ms, p95 ${quantile(frames.times, 0.95).toFixed(1)} ms, max ${Math.max(...frames.times).toFixed(1)} ms; ` +
          `${over} of ${frames.times.length} frames over the 16.7 ms budget; ${frames.domRows} rows in the DOM for ${ROWS.toLocaleString('en-US')}`,
      );
    }

    const t2 = performance.now();
    await page.evaluate(() => {
      const el = document.querySelector('[data-testid="virtual-list"]') as HTMLElement;
      el.scrollTop = el.scrollHeight;
    });
    await page.waitForFunction(() => Array.from(document.querySelectorAll('[data-testid="virtual-list"] .erow .num')).some((n) => n.textContent === '100001'));
    console.log(`jump to the last row: rows shown after ${(performance.now() - t2).toFixed(0)} ms (one page fetch of 200 rows)`);
  } finally {
    await context.close();
    serve.kill('SIGTERM');
    await new Promise((r) => serve.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
