// dist/sqlite-electron.js: builds the desktop app's own copy of SQLite's native module (better-sqlite3) for the
// installed Electron, once, in a development checkout. `npm start` (main/app/start.mjs) runs it with Electron's
// binary as Node (with ELECTRON_RUN_AS_NODE set), so process.versions tells the Electron version and ABI it must match,
// and @electron/rebuild runs on Electron's Node (it needs Node >= 22.12; the checkout's Node may be older).
//
// The package's own build in node_modules/better-sqlite3 stays as npm ci made it, for plain Node (CLI, server,
// tests): the copy is built in a scratch folder beside it and lands at store/native.ts's electronBindingFile(),
// which every Electron process then loads. @electron/rebuild first tries a prebuilt binary for this Electron
// (prebuild-install, a download); without one it compiles with node-gyp against Electron's headers (a download,
// and a C++ compiler). Exit status 0: the copy is there and loads; 1: it could not be built (message on stderr).
import fs from 'node:fs';
import path from 'node:path';
import { currentRuntime, electronBindingFile, loadBinding, sqlitePackage, type NativeRuntime, type SqlitePackage } from '../engine/store/native.ts';

export interface BuildOptions {
  pkg: SqlitePackage;
  electron: string;
  arch: string;
  target: string;
  log: (line: string) => void;
}

/** Copies the package (without its build) into a scratch project and rebuilds it there for Electron. */
export async function buildElectronBinding(o: BuildOptions): Promise<void> {
  const { rebuild } = await import('@electron/rebuild');
  fs.mkdirSync(path.dirname(path.dirname(o.target)), { recursive: true });
  // Inside node_modules/.textbench-electron: @electron/rebuild finds prebuild-install by walking up to the
  // checkout's node_modules.
  const stage = fs.mkdtempSync(path.join(path.dirname(path.dirname(o.target)), 'build-'));
  try {
    const copy = path.join(stage, 'node_modules', 'better-sqlite3');
    fs.cpSync(o.pkg.dir, copy, { recursive: true, filter: (src) => path.relative(o.pkg.dir, src) !== 'build' });
    fs.writeFileSync(path.join(stage, 'package.json'), JSON.stringify({ name: 'textbench-sqlite-electron', version: '0.0.0', private: true, dependencies: { 'better-sqlite3': o.pkg.version } }));
    o.log(`textbench: building SQLite's native module for Electron ${o.electron} (once; it downloads a prebuilt binary or Electron's headers)…`);
    // node-gyp must fetch Electron's headers: a nodedir from npm's config (npm passes it down as npm_config_nodedir,
    // e.g. nodedir=/usr in ~/.npmrc) would build against the installing Node's headers instead, for the wrong ABI.
    for (const key of Object.keys(process.env)) if (key.toLowerCase() === 'npm_config_nodedir') delete process.env[key];
    // projectRootPath = the scratch folder: the rebuild never looks at (or rebuilds) the checkout's own modules.
    await rebuild({ buildPath: stage, projectRootPath: stage, electronVersion: o.electron, arch: o.arch, onlyModules: ['better-sqlite3'], force: true, mode: 'sequential' });
    const built = path.join(copy, 'build', 'Release', 'better_sqlite3.node');
    if (!fs.existsSync(built)) throw new Error(`the rebuild finished without ${built}`);
    fs.mkdirSync(path.dirname(o.target), { recursive: true });
    const tmp = `${o.target}.${process.pid}.tmp`;
    fs.copyFileSync(built, tmp);
    fs.renameSync(tmp, o.target);
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const rt: NativeRuntime = currentRuntime();
  if (!rt.electron) {
    console.error('sqlite-electron: run this with Electron as Node (npm start does: the Electron binary with ELECTRON_RUN_AS_NODE set)');
    return 2;
  }
  const pkg = sqlitePackage();
  const target = electronBindingFile(pkg, rt.electron, rt);
  const choice = { file: target, runtime: 'electron' as const, why: `the Electron ${rt.electron} copy` };
  if (fs.existsSync(target)) {
    try {
      loadBinding(choice, rt, pkg);
      return 0;
    } catch {
      fs.rmSync(target, { force: true }); // a broken copy: build it again
    }
  }
  try {
    await buildElectronBinding({ pkg, electron: rt.electron, arch: rt.arch, target, log: (l) => console.error(l) });
    loadBinding(choice, rt, pkg); // it loads in this Electron: the right ABI
    console.error(`textbench: built ${target}`);
    return 0;
  } catch (err) {
    const first = (err instanceof Error ? err.message : String(err)).split('\n').find((l) => l.trim()) ?? '';
    console.error(`textbench: could not build SQLite's native module for Electron ${rt.electron}: ${first}`);
    return 1;
  }
}

// Run as a script (not when a test imports buildElectronBinding).
if (process.argv[1] && /sqlite-electron\.(js|ts)$/.test(process.argv[1])) {
  main().then((code) => process.exit(code));
}
