#!/usr/bin/env node
// `npm start`: the desktop app when Electron's binary is installed, otherwise the same app in the browser
// through `textbench serve --open`. Electron downloads its binary on first install/launch; machines without
// internet do not have it, and that must not stop anyone from using Textbench.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);

/** Where the electron package keeps its binary, without require('electron') (which downloads as a side effect). */
function installedElectron() {
  let dir;
  try {
    dir = path.dirname(require.resolve('electron/package.json'));
  } catch {
    return { missing: 'the electron package is not installed (npm ci installs it)' };
  }
  const pathFile = path.join(dir, 'path.txt');
  const rel = fs.existsSync(pathFile) ? fs.readFileSync(pathFile, 'utf8').trim() : null;
  const distDir = process.env.ELECTRON_OVERRIDE_DIST_PATH || path.join(dir, 'dist');
  const bin = rel ? path.join(distDir, rel) : null;
  if (bin && fs.existsSync(bin)) return { path: bin };
  return { missing: `no Electron binary in ${distDir}`, dir };
}

/** Electron fetches its binary on first launch; try once (quietly), and say why it failed. */
function electronBinary() {
  const found = installedElectron();
  if (found.path || !found.dir || process.env.TEXTBENCH_NO_ELECTRON_DOWNLOAD) return found;
  console.error('textbench: the Electron binary is not here yet; trying to download it (Electron does this on first launch)…');
  const r = spawnSync(process.execPath, [path.join(found.dir, 'install.js')], { cwd: found.dir, encoding: 'utf8', timeout: 120_000 });
  const again = installedElectron();
  if (again.path) return again;
  const why = `${r.stderr ?? ''}\n${r.stdout ?? ''}`.split('\n').map((l) => l.trim()).find((l) => /error|failed|ENOTFOUND|EAI_AGAIN|ECONN/i.test(l));
  // Electron's downloader declares a newer Node than the CLI needs (package.json desktopEngines).
  const desktop = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).desktopEngines?.node;
  const [maj, min] = process.versions.node.split('.').map(Number);
  const [needMaj, needMin] = (/(\d+)\.(\d+)/.exec(desktop ?? '') ?? [0, 0, 0]).slice(1).map(Number);
  const old = desktop && (maj < needMaj || (maj === needMaj && min < needMin)) ? `; note that Electron's downloader needs Node ${desktop}, this is ${process.version}` : '';
  return { missing: `the download failed${why ? `: ${why}` : r.error ? `: ${r.error.message}` : ''}${old}` };
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${[cmd, ...args].join(' ')} exited with ${r.status}`);
}

function ensureRenderer() {
  if (fs.existsSync(path.join(root, 'dist/renderer/index.html'))) return;
  console.error('textbench: building the app (vite build)…');
  run(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn']);
}

function forward(child) {
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
  child.on('error', (err) => {
    console.error(`textbench: could not start: ${err.message}`);
    process.exit(1);
  });
}

/** The same app in the browser, through `textbench serve --open`, after saying why there is no desktop window. */
function serveInBrowser(why) {
  console.error([...why, 'textbench: starting the same app in your browser instead (textbench serve --open). Stop it with Ctrl+C.'].join('\n'));
  // TEXTBENCH_NO_OPEN=1 prints the URL without opening a browser (headless machines, tests).
  const open = process.env.TEXTBENCH_NO_OPEN ? [] : ['--open'];
  // The built CLI (dist/cli.js, from npm ci); the TypeScript sources through tsx when it has not been built.
  const built = path.join(root, 'dist/cli.js');
  const cli = fs.existsSync(built) ? built : path.join(root, 'main/cli/textbench.mjs');
  forward(spawn(process.execPath, [cli, 'serve', ...open, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' }));
}

/**
 * The desktop app loads its own build of SQLite's native module (the one in node_modules is for plain Node: the CLI
 * and the tests). dist/sqlite-electron.js, run with Electron as Node, builds it once into node_modules/.textbench-electron/
 * (a download: a prebuilt binary or Electron's headers) and returns at once when it is there.
 */
function electronSqlite(electronPath) {
  const r = spawnSync(electronPath, [path.join(root, 'dist/sqlite-electron.js')], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    timeout: 15 * 60_000,
  });
  return r.status === 0;
}

try {
  ensureRenderer();
  const electron = electronBinary();
  if (electron.path) {
    if (['dist/electron-main.js', 'dist/app/preload.cjs', 'dist/sqlite-electron.js'].some((f) => !fs.existsSync(path.join(root, f)))) {
      run(process.execPath, [path.join(root, 'tools/build.mjs')]);
    }
    if (electronSqlite(electron.path)) {
      forward(spawn(electron.path, [root, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' }));
    } else {
      serveInBrowser([
        "textbench: the desktop window needs SQLite's native module built for Electron, and it could not be built (above).",
        '  It is built once, on the first `npm start` with an internet connection; run `npm start` again when online.',
      ]);
    }
  } else {
    serveInBrowser([
      'textbench: the Electron binary is not installed, so the desktop window cannot open.',
      `  (${electron.missing})`,
      '  Electron downloads its binary from the internet on first launch, and this machine could not reach it.',
      '  To get the desktop window later: connect to the internet and run `npm start` again (or `npx install-electron`).',
    ]);
  }
} catch (err) {
  console.error(`textbench: ${err instanceof Error ? err.message : String(err)}`);
  console.error('textbench: you can still run the app in a browser: node dist/cli.js serve --open');
  process.exitCode = 1;
}
