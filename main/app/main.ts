// Electron main process: one window, the app menu, native dialogs, and the API over IPC. Everything heavy is
// elsewhere: the engine's training and classification run in worker threads, imports stream.
import { app, BrowserWindow, dialog, ipcMain, Menu, net, protocol, session, shell, utilityProcess } from 'electron';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Workbench } from '../engine/workbench.ts';
import { createHandlers } from '../api/handlers.ts';
import { dispatch } from '../api/dispatch.ts';
import { IPC, type MenuCommand } from '../../shared/api.ts';
import { APP_ENTRY, APP_SCHEME, DESKTOP_CSP, hardenContents, hardenSession, isTrustedSender, resolveAppFile, windowOptions } from './security.ts';
import { menuTemplate } from './menu.ts';
import { utilitySpawner } from './utility-child.ts';
import { setNodeSpawner } from '../engine/node-child.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const RENDERER_DIR = path.join(ROOT, 'dist/renderer');
const PRELOAD = path.join(ROOT, 'dist/app/preload.cjs');
const ICON = path.join(ROOT, 'assets/icon.png');

const log = (line: string) => process.stderr.write(`textbench: ${line}\n`);

// standard + secure: a real origin for the page (same-origin module scripts, CSP 'self'); nothing else is granted.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } }]);
app.setName('Textbench');
app.enableSandbox();

if (!app.requestSingleInstanceLock()) {
  // A second launch focuses the first window instead of opening the workspace twice.
  app.quit();
} else {
  let win: BrowserWindow | null = null;
  let wb: Workbench | null = null;

  app.on('second-instance', () => {
    if (win) {
      if (win.isMinimized()) win.restore();
      win.focus();
    }
  });

  // Every web contents, including any the app never meant to create, gets the same hardening.
  app.on('web-contents-created', (_event, contents) => hardenContents(contents, log));

  app.whenReady().then(async () => {
    // The RunAsNode fuse is off in the shipped app: the engine's helper processes run as utility processes.
    setNodeSpawner(utilitySpawner((script, args, options) => utilityProcess.fork(script, args, options)));
    wb = Workbench.open();
    const workbench = wb;
    hardenSession(session.defaultSession);

    protocol.handle(APP_SCHEME, async (request) => {
      const file = resolveAppFile(RENDERER_DIR, request.url);
      if (!file || !fs.existsSync(file)) return new Response('Not found', { status: 404 });
      const res = await net.fetch(pathToFileURL(file).toString());
      const headers = new Headers(res.headers);
      headers.set('Content-Security-Policy', DESKTOP_CSP);
      headers.set('X-Content-Type-Options', 'nosniff');
      return new Response(res.body, { status: res.status, headers });
    });

    const window = new BrowserWindow(windowOptions(PRELOAD, fs.existsSync(ICON) ? ICON : undefined));
    win = window;
    const send = (channel: string, payload: unknown) => {
      if (!window.isDestroyed()) window.webContents.send(channel, payload);
    };

    const handlers = createHandlers(workbench, {
      mode: 'electron',
      version: app.getVersion(),
      maxUploadBytes: null,
      desktop: {
        async pickFile(title) {
          const r = await dialog.showOpenDialog(window, {
            title: title ?? 'Open a file',
            properties: ['openFile'],
            filters: [
              { name: 'Tables of texts', extensions: ['csv', 'tsv', 'txt', 'json', 'jsonl', 'ndjson', 'xlsx'] },
              { name: 'All files', extensions: ['*'] },
            ],
          });
          return r.canceled ? null : (r.filePaths[0] ?? null);
        },
        async pickFolder(title, defaultPath) {
          const r = await dialog.showOpenDialog(window, { title: title ?? 'Choose a folder', defaultPath, properties: ['openDirectory', 'createDirectory'] });
          return r.canceled ? null : (r.filePaths[0] ?? null);
        },
        reveal: (target) => shell.showItemInFolder(target),
      },
    });

    ipcMain.handle(IPC.call, async (event, name: unknown, input: unknown) => {
      if (!isTrustedSender(event.senderFrame, window.webContents.mainFrame)) {
        log(`refused an API call from ${event.senderFrame?.url ?? 'an unknown frame'}`);
        return { ok: false, error: { message: 'Refused: the call did not come from the Textbench window.', code: 'UNTRUSTED_SENDER' } };
      }
      return dispatch(handlers, name, input, { mode: 'electron', onUnexpected: (n, err) => log(`error in ${n}: ${(err as Error).stack ?? String(err)}`) });
    });
    const unsubscribe = workbench.onEvent((e) => send(IPC.event, e));

    const menu = (command: MenuCommand) => send(IPC.menu, command);
    Menu.setApplicationMenu(
      Menu.buildFromTemplate(
        menuTemplate(
          {
            async openFile() {
              const r = await dialog.showOpenDialog(window, { title: 'Import a file of labelled texts', properties: ['openFile'] });
              if (!r.canceled && r.filePaths[0]) menu({ kind: 'open-file', path: r.filePaths[0] });
            },
            showView: (view) => menu({ kind: 'view', view }),
            about: () =>
              void dialog.showMessageBox(window, {
                title: 'About Textbench',
                message: `Textbench ${app.getVersion()}`,
                detail: `A workbench for text classification.\nWorkspace: ${workbench.dir}`,
              }),
          },
          { isMac: process.platform === 'darwin', developer: !app.isPackaged },
        ) as Electron.MenuItemConstructorOptions[],
      ),
    );

    window.once('ready-to-show', () => window.show());
    window.on('closed', () => {
      unsubscribe();
      win = null;
    });
    await window.loadURL(APP_ENTRY);
  }).catch((err: unknown) => {
    dialog.showErrorBox('Textbench could not start', err instanceof Error ? err.message : String(err));
    app.exit(1);
  });

  let closing = false;
  app.on('window-all-closed', () => {
    if (closing) return;
    closing = true;
    // Stop training workers (runs end as "stopped", resumable) before the process goes.
    void (wb?.close() ?? Promise.resolve()).finally(() => app.quit());
  });
}
