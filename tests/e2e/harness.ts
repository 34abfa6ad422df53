// What every browser test needs: the renderer built, `textbench serve` on a workspace, Debian's Chromium driven by
// playwright-core, screenshots of a view at the two window sizes in both themes, and axe-core run inside the page.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { createRequire } from 'node:module';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';

export const repoRoot = path.resolve(import.meta.dirname, '../..');
export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = fs.existsSync(CHROMIUM);
export const SHOTS = process.env.TEXTBENCH_SCREENSHOTS ?? path.join(os.tmpdir(), 'textbench-e2e-screenshots');

/** The two windows every view is judged at: the smallest supported laptop window and a large desktop one. */
export const SIZES = [
  { width: 1024, height: 700 },
  { width: 1600, height: 1000 },
] as const;

export async function ensureRendererBuilt(): Promise<void> {
  if (fs.existsSync(path.join(repoRoot, 'dist/renderer/index.html'))) return;
  await build({ configFile: path.join(repoRoot, 'renderer/vite.config.ts'), logLevel: 'warn' });
}

export function startServe(dir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'main/cli/textbench.mjs'), 'serve', '--workspace', dir, '--json'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! });
    lines.once('line', (line) => resolve({ child, url: (JSON.parse(line) as { url: string }).url }));
    child.once('exit', (code) => reject(new Error(`textbench serve exited with ${code}: ${stderr}`)));
  });
}

export async function stopServe(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

export async function launchChromium(viewport = { width: 1280, height: 800 }): Promise<{ browser: BrowserContext; page: Page; errors: string[] }> {
  // A fresh profile per run (playwright wants the user data dir as a parameter, not as --user-data-dir).
  const browser = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(os.tmpdir(), 'textbench-chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  return { browser, page, errors };
}

/** `textbench serve` on a workspace and Chromium on its page: everything a browser test drives. */
export interface RunningApp {
  server: ChildProcess;
  url: string;
  browser: BrowserContext;
  page: Page;
  /** Page errors and console errors, for the assertion that there were none. */
  errors: string[];
}

export async function startApp(workspace: string, viewport = { width: 1280, height: 800 }): Promise<RunningApp> {
  await ensureRendererBuilt();
  const { child: server, url } = await startServe(workspace);
  const { browser, page, errors } = await launchChromium(viewport);
  return { server, url, browser, page, errors };
}

export async function stopApp(app: RunningApp | undefined): Promise<void> {
  await app?.browser.close();
  await stopServe(app?.server);
}

export async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: false });
}

/** Lets layout and the charts' resize observers settle after a viewport or colour-scheme change. */
async function settle(page: Page): Promise<void> {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations on the page as it is now (WCAG 2 A/AA and best practices). */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the debugging protocol, which the page's CSP (script-src 'self') rightly does not let a <script> tag do.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[]; failureSummary?: string }> }> }> } }).axe;
    const res = await axe.run(document, { resultTypes: ['violations'] });
    return res.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 6).map((n) => `${JSON.stringify(n.target)} ${n.failureSummary ?? ''}`.trim()) }));
  });
}

/** Every axe finding of every view, by view and theme, for the test that asserts none were serious. */
export const axeLog: Array<{ view: string; scheme: string; violations: AxeViolation[] }> = [];

/**
 * Screenshots the current view at both window sizes in light and dark (`NAME-1024x700-light.png`, …) and runs
 * axe-core in both themes; returns to the viewport and scheme the test had. The violations are collected in
 * axeLog (and returned) so one failing view does not hide the others.
 */
export async function shotAll(page: Page, name: string, opts: { axe?: boolean; before?: (page: Page) => Promise<void> } = {}): Promise<AxeViolation[]> {
  const original = page.viewportSize();
  const found: AxeViolation[] = [];
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const size of SIZES) {
      await page.setViewportSize(size);
      await settle(page);
      await opts.before?.(page);
      await shot(page, `${name}-${size.width}x${size.height}-${scheme}`);
    }
    if (opts.axe !== false) {
      const v = await axeViolations(page);
      axeLog.push({ view: name, scheme, violations: v });
      found.push(...v);
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  if (original) await page.setViewportSize(original);
  await settle(page);
  return found;
}

/** A readable list of axe findings for an assertion message. */
export function describeViolations(v: AxeViolation[]): string {
  return v.map((x) => `${x.impact} ${x.id}: ${x.help}\n    ${x.nodes.join('\n    ')}`).join('\n');
}

/** Removes a temp folder, tolerating files a just-stopped server may still be closing. */
export function removeDir(dir: string | undefined): void {
  if (dir) fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}
