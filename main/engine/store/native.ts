// SQLite's native module (better-sqlite3) for the runtime this process runs in.
//
// A native module is compiled for one Node ABI (NODE_MODULE_VERSION). The CLI, the server and the tests run on
// plain Node; the desktop app runs on Electron, whose Node has another ABI. So there are two builds:
//   - the package's own build, node_modules/better-sqlite3/build/Release/better_sqlite3.node, which `npm ci` makes
//     for the Node that installed it (and which electron-builder rebuilds for Electron inside the installers);
//   - in a development checkout, an Electron copy that the first `npm start` builds (main/app/sqlite-electron.ts)
//     into node_modules/.textbench-electron/, leaving the Node build in place for the CLI and the tests.
// Every process picks by process.versions.electron (the Electron main process, its worker threads and its
// utility processes all have it) and hands the module to better-sqlite3 through its `nativeBinding` option.
// A module built for the other ABI gives an error that says which build was found and how to get the right one.
import Database from 'better-sqlite3';
import type { Database as Db, Options } from 'better-sqlite3';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { TextbenchError } from '../errors.ts';

const require = createRequire(import.meta.url);

/** What decides the choice: the running runtime and where things are. */
export interface NativeRuntime {
  /** process.versions.electron: set in every Electron process, absent on plain Node. */
  electron?: string | undefined;
  /** process.versions.node and .modules (the ABI this runtime loads). */
  node: string;
  modules: string;
  platform: string;
  arch: string;
}

export function currentRuntime(): NativeRuntime {
  const v = process.versions as NodeJS.ProcessVersions & { electron?: string };
  return { electron: v.electron, node: v.node, modules: v.modules, platform: process.platform, arch: process.arch };
}

/** The installed better-sqlite3 package: its folder and version. */
export interface SqlitePackage {
  dir: string;
  version: string;
}

export function sqlitePackage(): SqlitePackage {
  const file = require.resolve('better-sqlite3/package.json');
  return { dir: path.dirname(file), version: (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version };
}

/** The package's own build (what `npm ci` compiled or downloaded for the installing Node). */
export function packageBindingFile(pkg: SqlitePackage): string {
  return path.join(pkg.dir, 'build', 'Release', 'better_sqlite3.node');
}

/**
 * Where the development checkout keeps the Electron copy: beside the package in node_modules (so `npm ci`, which
 * replaces node_modules, also drops a copy made for an older better-sqlite3), named by everything it depends on.
 */
export function electronBindingFile(pkg: SqlitePackage, electron: string, rt: Pick<NativeRuntime, 'platform' | 'arch'>): string {
  return path.join(path.dirname(pkg.dir), '.textbench-electron', `better-sqlite3-${pkg.version}-electron-${electron}-${rt.platform}-${rt.arch}`, 'better_sqlite3.node');
}

export interface BindingChoice {
  /** The .node file to load. */
  file: string;
  runtime: 'node' | 'electron';
  /** Why this file, in a few words (shown in errors and by `textbench backends`-style diagnostics). */
  why: string;
}

/**
 * Which build this runtime loads:
 *   TEXTBENCH_SQLITE_BINDING names a file  -> that file (a packager or a test that knows better);
 *   plain Node                             -> the package's own build;
 *   Electron, with the copy `npm start` built for this Electron version -> that copy;
 *   Electron without it                    -> the package's own build, which in an installer is Electron's
 *                                             (electron-builder rebuilt it); in a checkout it is Node's, and
 *                                             loading it fails with the message from explainLoadError.
 */
export function chooseBinding(rt: NativeRuntime, pkg: SqlitePackage, env: NodeJS.ProcessEnv = process.env, exists: (file: string) => boolean = fs.existsSync): BindingChoice {
  const runtime = rt.electron ? 'electron' : 'node';
  const override = env.TEXTBENCH_SQLITE_BINDING;
  if (override) return { file: path.resolve(override), runtime, why: 'named by TEXTBENCH_SQLITE_BINDING' };
  if (!rt.electron) return { file: packageBindingFile(pkg), runtime, why: `the package's own build (npm ci builds it for Node)` };
  const copy = electronBindingFile(pkg, rt.electron, rt);
  if (exists(copy)) return { file: copy, runtime, why: `the Electron ${rt.electron} copy that npm start built` };
  return { file: packageBindingFile(pkg), runtime, why: `the package's own build (no Electron ${rt.electron} copy at ${copy})` };
}

/** The fix for a desktop app that found no Electron build, and for a CLI that found no Node build. */
function fixFor(choice: BindingChoice, rt: NativeRuntime, pkg: SqlitePackage): string {
  if (choice.runtime === 'electron') {
    const copy = rt.electron ? electronBindingFile(pkg, rt.electron, rt) : '(an Electron copy)';
    return (
      `Run \`npm start\` once with an internet connection: it builds a copy of better-sqlite3 for Electron ${rt.electron ?? ''} into ${copy} ` +
      '(the CLI and the tests keep the Node build). Until then `textbench serve --open` runs the same app in your browser.'
    );
  }
  return (
    'Run `npm rebuild better-sqlite3` in the Textbench folder to build it for this Node ' +
    `(${rt.node}). Do not rebuild it in place for Electron: the desktop app keeps its own copy, which \`npm start\` builds.`
  );
}

/**
 * A clear TextbenchError for a native module that would not load: the ABI numbers when it was built for another
 * runtime, the path and the loader's words otherwise; and what to run.
 */
export function explainLoadError(err: unknown, choice: BindingChoice, rt: NativeRuntime, pkg: SqlitePackage): TextbenchError {
  const message = err instanceof Error ? err.message : String(err);
  const abi = /NODE_MODULE_VERSION (\d+)[\s\S]*?requires\s+NODE_MODULE_VERSION (\d+)/.exec(message);
  const who = choice.runtime === 'electron' ? `The desktop app (Electron ${rt.electron}, NODE_MODULE_VERSION ${rt.modules})` : `Textbench on Node ${rt.node} (NODE_MODULE_VERSION ${rt.modules})`;
  if (abi) {
    return new TextbenchError(
      `${who} cannot load SQLite's native module ${choice.file} (${choice.why}): it was built for NODE_MODULE_VERSION ${abi[1]}, ` +
        `and this runtime needs ${abi[2]}. ${fixFor(choice, rt, pkg)}`,
      'SQLITE_NATIVE_ABI',
      { file: choice.file, builtFor: Number(abi[1]), needs: Number(abi[2]), runtime: choice.runtime },
    );
  }
  const missing = !fs.existsSync(choice.file);
  return new TextbenchError(
    `${who} cannot load SQLite's native module ${choice.file} (${choice.why}): ${missing ? 'the file is not there' : message.split('\n')[0]}. ` +
      (choice.runtime === 'electron' ? fixFor(choice, rt, pkg) : 'Run `npm ci` (or `npm rebuild better-sqlite3`) in the Textbench folder.'),
    missing ? 'SQLITE_NATIVE_MISSING' : 'SQLITE_NATIVE_LOAD',
    { file: choice.file, runtime: choice.runtime, cause: message.split('\n')[0] },
  );
}

/** Loads the chosen build: its module object, for better-sqlite3's `nativeBinding` option. */
export function loadBinding(choice: BindingChoice, rt: NativeRuntime, pkg: SqlitePackage): object {
  try {
    return require(choice.file) as object;
  } catch (err) {
    throw explainLoadError(err, choice, rt, pkg);
  }
}

let loaded: string | null = null;

/**
 * The native module file for this process, loaded once here (so a failure gets explainLoadError's message).
 * better-sqlite3 then requires the same file and gets it from Node's module cache.
 */
export function sqliteBinding(): string {
  if (loaded) return loaded;
  const rt = currentRuntime();
  const pkg = sqlitePackage();
  const choice = chooseBinding(rt, pkg);
  loadBinding(choice, rt, pkg);
  loaded = choice.file;
  return loaded;
}

/** Every SQLite database in the engine is opened here, with the build for this runtime. */
export function openDatabase(file: string, options: Omit<Options, 'nativeBinding'> = {}): Db {
  return new Database(file, { ...options, nativeBinding: sqliteBinding() });
}
