// SQLite's native module per runtime (issue 14 item 5): which build a process picks, and what a build for the
// wrong ABI says. The wrong-ABI module is a real native module compiled here that registers itself with another
// NODE_MODULE_VERSION, so Node's own loader refuses it exactly as it refuses a better-sqlite3 built for Electron.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chooseBinding,
  currentRuntime,
  electronBindingFile,
  loadBinding,
  openDatabase,
  packageBindingFile,
  sqliteBinding,
  sqlitePackage,
  type NativeRuntime,
  type SqlitePackage,
} from '../../main/engine/store/native.ts';
import { TextbenchError } from '../../main/engine/errors.ts';

const OTHER_ABI = Number(process.versions.modules) + 35;

// A module that self-registers with OTHER_ABI (node.h's struct node_module, registered from a constructor).
const WRONG_ABI_C = `
struct node_module { int nm_version; unsigned int nm_flags; void *nm_dso_handle; const char *nm_filename; void *nm_register_func;
  void *nm_context_register_func; const char *nm_modname; void *nm_priv; struct node_module *nm_link; };
extern void node_module_register(void *mod);
static void init(void) {}
static struct node_module mod = { ${OTHER_ABI}, 0, 0, "wrong-abi.c", 0, (void *)init, "better_sqlite3", 0, 0 };
__attribute__((constructor)) static void reg(void) { node_module_register(&mod); }
`;

let tmp: string;
let wrongAbi: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-native-'));
  const src = path.join(tmp, 'wrong-abi.c');
  fs.writeFileSync(src, WRONG_ABI_C);
  wrongAbi = path.join(tmp, 'wrong-abi.node');
  // node_module_register comes from the node executable when the module is loaded.
  const lazy = process.platform === 'darwin' ? ['-undefined', 'dynamic_lookup'] : [];
  execFileSync('cc', ['-shared', '-fPIC', ...lazy, '-o', wrongAbi, src]);
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const node: NativeRuntime = { node: '20.20.2', modules: '115', platform: 'linux', arch: 'x64' };
const electron: NativeRuntime = { ...node, electron: '45.4.1', node: '22.20.0', modules: '150' };
const pkg: SqlitePackage = { dir: '/app/node_modules/better-sqlite3', version: '12.6.2' };

/** A package folder whose own build is `file` (as a checkout's node_modules/better-sqlite3 is). */
function fakePackage(name: string, file: string): SqlitePackage {
  const dir = path.join(tmp, name, 'node_modules', 'better-sqlite3');
  fs.mkdirSync(path.join(dir, 'build', 'Release'), { recursive: true });
  fs.copyFileSync(file, path.join(dir, 'build', 'Release', 'better_sqlite3.node'));
  return { dir, version: '12.6.2' };
}

function thrown(fn: () => unknown): TextbenchError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TextbenchError);
    return err as TextbenchError;
  }
  throw new Error('expected an error');
}

describe('choosing the build', () => {
  it('plain Node loads the package build; Electron its own copy when npm start has built it, else the package build', () => {
    const copy = '/app/node_modules/.textbench-electron/better-sqlite3-12.6.2-electron-45.4.1-linux-x64/better_sqlite3.node';
    expect(electronBindingFile(pkg, '45.4.1', electron)).toBe(copy);
    const own = '/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node';

    // Node never looks at the Electron copy, even where there is one.
    expect(chooseBinding(node, pkg, {}, () => true)).toMatchObject({ file: own, runtime: 'node' });
    expect(chooseBinding(electron, pkg, {}, (f) => f === copy)).toMatchObject({ file: copy, runtime: 'electron' });
    const without = chooseBinding(electron, pkg, {}, () => false);
    expect(without).toMatchObject({ file: own, runtime: 'electron' });
    expect(without.why).toContain(copy);
    // Another Electron version needs its own copy.
    expect(chooseBinding({ ...electron, electron: '46.0.0' }, pkg, {}, (f) => f === copy).file).toBe(own);
    // The variable wins for either runtime.
    expect(chooseBinding(electron, pkg, { TEXTBENCH_SQLITE_BINDING: '/x/y.node' }, () => true)).toMatchObject({ file: '/x/y.node', runtime: 'electron' });
  });

  it('this process (plain Node) opens workspaces with the package build', () => {
    expect(currentRuntime().electron).toBeUndefined();
    expect(sqliteBinding()).toBe(packageBindingFile(sqlitePackage()));
    const db = openDatabase(path.join(tmp, 'a.db'));
    expect(db.prepare('select sqlite_version() as v').get()).toMatchObject({ v: expect.any(String) });
    db.close();
  });
});

describe('a build for the wrong ABI', () => {
  it('on Node: names the file, both ABI numbers and the rebuild command, instead of crashing', () => {
    const rt = currentRuntime();
    const real = sqlitePackage();
    const choice = chooseBinding(rt, real, { TEXTBENCH_SQLITE_BINDING: wrongAbi });
    const err = thrown(() => loadBinding(choice, rt, real));
    expect(err.code).toBe('SQLITE_NATIVE_ABI');
    expect(err.details).toMatchObject({ file: wrongAbi, builtFor: OTHER_ABI, needs: Number(process.versions.modules) });
    expect(err.message).toContain(wrongAbi);
    expect(err.message).toContain(`built for NODE_MODULE_VERSION ${OTHER_ABI}`);
    expect(err.message).toContain(`needs ${process.versions.modules}`);
    expect(err.message).toContain('npm rebuild better-sqlite3');
  });

  it('in the desktop app without its copy: says to run npm start once with internet and where the copy goes; with the copy it loads', () => {
    // The checkout's package build is for another ABI than this runtime, as the Node build is for Electron.
    const fake = fakePackage('checkout', wrongAbi);
    const rt: NativeRuntime = { ...currentRuntime(), electron: '45.4.1' };
    const choice = chooseBinding(rt, fake, {});
    expect(choice.file).toBe(packageBindingFile(fake));
    const err = thrown(() => loadBinding(choice, rt, fake));
    expect(err.code).toBe('SQLITE_NATIVE_ABI');
    expect(err.message).toContain('The desktop app (Electron 45.4.1');
    expect(err.message).toContain('Run `npm start` once with an internet connection');
    expect(err.message).toContain(electronBindingFile(fake, '45.4.1', rt));
    expect(err.message).toContain('textbench serve --open');

    // npm start has built the copy (here: a build that does load in this runtime): it is chosen and it works.
    const copy = electronBindingFile(fake, '45.4.1', rt);
    fs.mkdirSync(path.dirname(copy), { recursive: true });
    fs.copyFileSync(packageBindingFile(sqlitePackage()), copy);
    const chosen = chooseBinding(rt, fake, {});
    expect(chosen.file).toBe(copy);
    loadBinding(chosen, rt, fake);
    const db = new Database(':memory:', { nativeBinding: chosen.file });
    expect(db.prepare('select 1 + 1 as two').get()).toEqual({ two: 2 });
    db.close();
  });

  it('a missing build says so and what to run', () => {
    const rt = currentRuntime();
    const real = sqlitePackage();
    const choice = chooseBinding(rt, real, { TEXTBENCH_SQLITE_BINDING: path.join(tmp, 'none.node') });
    const err = thrown(() => loadBinding(choice, rt, real));
    expect(err.code).toBe('SQLITE_NATIVE_MISSING');
    expect(err.message).toContain('the file is not there');
    expect(err.message).toContain('npm ci');
  });
});
