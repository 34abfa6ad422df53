// The Electron glue without the Electron binary: the window's security settings, the hardening of web contents
// and sessions, which frames may call the API, the app:// file resolution, the preload's exposed surface (the
// real bundled preload, run against a fake `electron` module), the menu, and the installer config.
import { describe, expect, it, vi } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import {
  APP_ENTRY,
  DESKTOP_CSP,
  hardenContents,
  hardenSession,
  isAppUrl,
  isTrustedSender,
  resolveAppFile,
  webPreferences,
  windowOptions,
  type ContentsLike,
  type NavigationEventLike,
} from '../../main/app/security.ts';
import { createPreloadApi, type IpcLike } from '../../main/app/preload-api.ts';
import { menuTemplate, type MenuItem } from '../../main/app/menu.ts';
import { API_NAMES, IPC } from '../../shared/api.ts';
import { API_NAME_LIST } from '../../shared/api-names.ts';

const repoRoot = path.resolve(import.meta.dirname, '../..');
// electron-builder's own YAML parser and config validator (transitive dependencies, untyped).
const require = createRequire(import.meta.url);
const yaml = require('js-yaml') as { load(text: string): unknown };
const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as { validateConfiguration(c: unknown, logger: unknown): Promise<void> };
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };

describe('BrowserWindow settings', () => {
  it('isolates the page from Node', () => {
    const prefs = webPreferences('/app/preload.cjs');
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
    });
    expect(prefs.preload).toBe('/app/preload.cjs');
  });

  it('opens one window no smaller than 1024×700', () => {
    const o = windowOptions('/p.cjs');
    expect(o.minWidth).toBe(1024);
    expect(o.minHeight).toBe(700);
    expect(o.webPreferences.sandbox).toBe(true);
    expect(o.show).toBe(false);
  });

  it('has a strict Content-Security-Policy', () => {
    expect(DESKTOP_CSP).toContain("default-src 'self'");
    expect(DESKTOP_CSP).toContain("script-src 'self'");
    expect(DESKTOP_CSP).toContain("object-src 'none'");
    expect(DESKTOP_CSP).toContain("frame-ancestors 'none'");
    expect(DESKTOP_CSP).not.toMatch(/unsafe-eval/);
    expect(DESKTOP_CSP).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(DESKTOP_CSP).not.toMatch(/https?:|\*/);
  });
});

describe('web contents and session hardening', () => {
  function fakeContents() {
    const listeners = new Map<string, (e: NavigationEventLike, url: string) => void>();
    let openHandler: ((d: { url: string }) => { action: 'deny' }) | null = null;
    const contents: ContentsLike = {
      on(event, listener) {
        listeners.set(event, listener);
        return contents;
      },
      setWindowOpenHandler(h) {
        openHandler = h;
      },
    };
    return { contents, listeners, open: (url: string) => openHandler!({ url }) };
  }

  it('refuses every navigation, redirect and webview, including to the app itself', () => {
    const f = fakeContents();
    hardenContents(f.contents);
    for (const event of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
      for (const url of ['https://evil.example/', 'file:///etc/passwd', APP_ENTRY]) {
        const e = { preventDefault: vi.fn() };
        f.listeners.get(event)!(e, url);
        expect(e.preventDefault).toHaveBeenCalled();
      }
    }
  });

  it('denies new windows', () => {
    const f = fakeContents();
    hardenContents(f.contents);
    expect(f.open('https://example.org')).toEqual({ action: 'deny' });
  });

  it('denies every permission request and check', () => {
    let request: ((c: unknown, p: string, cb: (g: boolean) => void) => void) | null = null;
    let check: ((c: unknown, p: string) => boolean) | null = null;
    hardenSession({ setPermissionRequestHandler: (h) => (request = h), setPermissionCheckHandler: (h) => (check = h) });
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) {
      const cb = vi.fn();
      request!(null, permission, cb);
      expect(cb).toHaveBeenCalledWith(false);
      expect(check!(null, permission)).toBe(false);
    }
  });

  it('accepts API calls only from the main frame showing the app', () => {
    const main = { url: APP_ENTRY };
    expect(isTrustedSender(main, main)).toBe(true);
    expect(isTrustedSender({ url: APP_ENTRY }, main)).toBe(false); // a subframe, even of the app
    const navigated = { url: 'https://evil.example/' };
    expect(isTrustedSender(navigated, navigated)).toBe(false);
    expect(isTrustedSender(null, main)).toBe(false);
  });

  it('serves only files inside the renderer folder from textbench://app', () => {
    const root = path.join(os.tmpdir(), 'renderer');
    expect(resolveAppFile(root, 'textbench://app/')).toBe(path.join(root, 'index.html'));
    expect(resolveAppFile(root, 'textbench://app/assets/x.js')).toBe(path.join(root, 'assets/x.js'));
    expect(resolveAppFile(root, 'textbench://app/..%2f..%2fetc%2fpasswd')).toBeNull();
    expect(resolveAppFile(root, 'textbench://other/index.html')).toBeNull();
    expect(resolveAppFile(root, 'file:///etc/passwd')).toBeNull();
    expect(isAppUrl('textbench://app/index.html')).toBe(true);
    expect(isAppUrl('http://app/index.html')).toBe(false);
  });
});

describe('preload', () => {
  function fakeIpc() {
    const calls: unknown[][] = [];
    const listeners = new Map<string, Set<(e: unknown, ...a: unknown[]) => void>>();
    const ipc: IpcLike = {
      async invoke(channel, ...args) {
        calls.push([channel, ...args]);
        return { ok: true, result: 'pong' };
      },
      on(channel, l) {
        if (!listeners.has(channel)) listeners.set(channel, new Set());
        listeners.get(channel)!.add(l);
      },
      removeListener(channel, l) {
        listeners.get(channel)?.delete(l);
      },
    };
    const emit = (channel: string, payload: unknown) => {
      for (const l of listeners.get(channel) ?? []) l({ sender: 'the IPC event object' }, payload);
    };
    return { ipc, calls, listeners, emit };
  }

  it('exposes exactly mode, call, onEvent, onMenu and pathForFile, frozen', () => {
    const api = createPreloadApi(fakeIpc().ipc, () => '/x');
    expect(Object.keys(api).sort()).toEqual(['call', 'mode', 'onEvent', 'onMenu', 'pathForFile']);
    expect(Object.isFrozen(api)).toBe(true);
    expect(api.mode).toBe('electron');
  });

  it('sends known requests on the one call channel and refuses unknown names before IPC', async () => {
    const f = fakeIpc();
    const api = createPreloadApi(f.ipc, () => '/x');
    expect(await api.call('projects.list', {})).toEqual({ ok: true, result: 'pong' });
    expect(f.calls).toEqual([[IPC.call, 'projects.list', {}]]);
    const refused = await api.call('__proto__' as never, {});
    expect(refused.ok).toBe(false);
    expect(f.calls.length).toBe(1);
  });

  it('passes event payloads without the IPC event object, and unsubscribes', () => {
    const f = fakeIpc();
    const api = createPreloadApi(f.ipc, () => '/x');
    const seen: unknown[] = [];
    const off = api.onEvent((e) => seen.push(e));
    f.emit(IPC.event, { type: 'run.failed', run: 'r', error: 'x' });
    expect(seen).toEqual([{ type: 'run.failed', run: 'r', error: 'x' }]);
    off();
    f.emit(IPC.event, { type: 'run.failed', run: 'r', error: 'y' });
    expect(seen.length).toBe(1);
    expect(f.listeners.get(IPC.event)?.size).toBe(0);
  });

  it('the bundled preload exposes that object once, as window.textbench, and nothing else', async () => {
    const out = await build({
      entryPoints: [path.join(repoRoot, 'main/app/preload.ts')],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'cjs',
      external: ['electron'],
      logLevel: 'silent',
    });
    const code = out.outputFiles[0]!.text;
    const exposed: Array<[string, Record<string, unknown>]> = [];
    const fakeElectron = {
      contextBridge: { exposeInMainWorld: (key: string, value: Record<string, unknown>) => exposed.push([key, value]) },
      ipcRenderer: fakeIpc().ipc,
      webUtils: { getPathForFile: () => '/picked/file.csv' },
    };
    const required: string[] = [];
    const sandbox = {
      module: { exports: {} },
      exports: {},
      require: (name: string) => {
        required.push(name);
        if (name === 'electron') return fakeElectron;
        throw new Error(`a sandboxed preload cannot require ${name}`);
      },
    };
    vm.runInNewContext(code, sandbox);
    expect(required).toEqual(['electron']);
    expect(exposed.length).toBe(1);
    expect(exposed[0]![0]).toBe('textbench');
    expect(Object.keys(exposed[0]![1]).sort()).toEqual(['call', 'mode', 'onEvent', 'onMenu', 'pathForFile']);
    expect((exposed[0]![1].pathForFile as (f: object) => string)({})).toBe('/picked/file.csv');
    // Small: the preload carries the list of names, not the schemas.
    expect(code.length).toBeLessThan(20_000);
  });

  it('knows the same request names as the contract', () => {
    expect([...API_NAME_LIST].sort()).toEqual([...API_NAMES].sort());
  });
});

describe('menu', () => {
  const actions = { openFile: vi.fn(), showView: vi.fn(), about: vi.fn() };
  function flat(items: MenuItem[]): MenuItem[] {
    return items.flatMap((i) => [i, ...flat(i.submenu ?? [])]);
  }

  it('opens files with Ctrl/Cmd+O and switches views with Ctrl/Cmd+1..8', () => {
    const items = flat(menuTemplate(actions, { isMac: false, developer: false }));
    const open = items.find((i) => i.accelerator === 'CmdOrCtrl+O')!;
    open.click!();
    expect(actions.openFile).toHaveBeenCalled();
    items.find((i) => i.accelerator === 'CmdOrCtrl+4')!.click!();
    expect(actions.showView).toHaveBeenCalledWith('train');
  });

  it('offers reload and developer tools only in development', () => {
    const roles = (developer: boolean) => flat(menuTemplate(actions, { isMac: false, developer })).map((i) => i.role);
    expect(roles(false)).not.toContain('toggleDevTools');
    expect(roles(false)).not.toContain('reload');
    expect(roles(true)).toContain('toggleDevTools');
  });
});

describe('installers (electron-builder.yml)', () => {
  const config = yaml.load(fs.readFileSync(path.join(repoRoot, 'electron-builder.yml'), 'utf8')) as Record<string, unknown> & {
    linux: { target: string[] };
    mac: { target: string[] };
    win: { target: string[] };
    asarUnpack: string[];
    files: string[];
  };

  it('is valid for electron-builder', async () => {
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('builds AppImage, deb, dmg and NSIS, unpacks native modules and rebuilds them for Electron', () => {
    expect(config.linux.target).toEqual(expect.arrayContaining(['AppImage', 'deb']));
    expect(config.mac.target).toContain('dmg');
    expect(config.win.target).toContain('nsis');
    expect(config.asarUnpack).toEqual(expect.arrayContaining(['node_modules/better-sqlite3/**', 'node_modules/@tensorflow/tfjs-node/**']));
    expect(config.npmRebuild).toBe(true);
  });

  it('unpacks every native module installed here, and ships only the built JavaScript (no TypeScript, no tsx)', () => {
    expect(config.asarUnpack).toContain('**/*.node');
    // Every package of node_modules that holds a compiled .node file: each one is covered by the patterns.
    const native: string[] = [];
    const walk = (dir: string, depth: number) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory() && depth < 6) walk(path.join(dir, e.name), depth + 1);
        else if (e.name.endsWith('.node')) native.push(path.relative(repoRoot, path.join(dir, e.name)));
      }
    };
    for (const pkg of ['better-sqlite3', '@tensorflow/tfjs-node', 'webgpu']) {
      if (fs.existsSync(path.join(repoRoot, 'node_modules', pkg))) walk(path.join(repoRoot, 'node_modules', pkg), 0);
    }
    expect(native.length).toBeGreaterThan(0);
    const unpacked = (file: string) => config.asarUnpack.some((p) => path.matchesGlob(file, p));
    expect(native.filter((f) => !unpacked(f))).toEqual([]);
    expect(config.files).toContain('dist/**/*');
    expect(config.files.filter((f) => /^(main|shared)\//.test(f))).toEqual([]);
  });

  it('uses a 512×512 PNG icon from assets/', () => {
    const png = fs.readFileSync(path.join(repoRoot, String(config.icon)));
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([512, 512]);
  });
});
