// The desktop window's security settings, as plain data and small functions over Electron-shaped interfaces,
// so that tests check them without the Electron binary (which cannot be downloaded on offline machines).
import path from 'node:path';

/** The renderer is served from this privileged scheme, never from file:// (which would grant the page the disk). */
export const APP_SCHEME = 'textbench';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY = `${APP_ORIGIN}/index.html`;

/** Everything the page may load comes from the app itself; it may talk to nothing but the preload. */
export const DESKTOP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface SecureWebPreferences {
  preload: string;
  contextIsolation: true;
  sandbox: true;
  nodeIntegration: false;
  nodeIntegrationInWorker: false;
  nodeIntegrationInSubFrames: false;
  webSecurity: true;
  allowRunningInsecureContent: false;
  webviewTag: false;
  experimentalFeatures: false;
  navigateOnDragDrop: false;
  safeDialogs: true;
  spellcheck: false;
}

export function webPreferences(preload: string): SecureWebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    // A file dropped outside the drop zone must not replace the app with the file's contents.
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
  };
}

export function windowOptions(preload: string, icon?: string) {
  return {
    title: 'Textbench',
    width: 1280,
    height: 820,
    minWidth: 1024,
    minHeight: 700,
    show: false,
    backgroundColor: '#16181d',
    autoHideMenuBar: false,
    ...(icon ? { icon } : {}),
    webPreferences: webPreferences(preload),
  };
}

export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
  } catch {
    return false;
  }
}

/** The file under `rendererDir` that an app URL names, or null for anything outside it or not an app URL. */
export function resolveAppFile(rendererDir: string, url: string): string | null {
  if (!isAppUrl(url)) return null;
  const { pathname } = new URL(url);
  let rel: string;
  try {
    rel = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (rel === '/' || rel === '') rel = '/index.html';
  const root = path.resolve(rendererDir);
  const file = path.resolve(root, '.' + rel);
  return file.startsWith(root + path.sep) ? file : null;
}

/** Structural slices of Electron's types: only what the hardening touches. */
export interface FrameLike {
  url: string;
}
export interface NavigationEventLike {
  preventDefault(): void;
}
export interface ContentsLike {
  on(event: 'will-navigate' | 'will-redirect' | 'will-attach-webview', listener: (event: NavigationEventLike, url: string) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}
export interface SessionLike {
  setPermissionRequestHandler(handler: (contents: unknown, permission: string, callback: (granted: boolean) => void) => void): void;
  setPermissionCheckHandler(handler: (contents: unknown, permission: string) => boolean): void;
}

/**
 * Calls are accepted only from the main frame of the app's own window showing the app's own page:
 * not from a subframe, not after anything navigated elsewhere.
 */
export function isTrustedSender(senderFrame: FrameLike | null | undefined, mainFrame: FrameLike | null | undefined): boolean {
  return !!senderFrame && senderFrame === mainFrame && isAppUrl(senderFrame.url);
}

/** No navigation at all (the app is one page), no new windows, no <webview>. */
export function hardenContents(contents: ContentsLike, log: (line: string) => void = () => {}): void {
  const refuse = (what: string) => (event: NavigationEventLike, url: string) => {
    event.preventDefault();
    log(`refused ${what} to ${url}`);
  };
  contents.on('will-navigate', refuse('navigation'));
  contents.on('will-redirect', refuse('redirect'));
  contents.on('will-attach-webview', refuse('webview'));
  contents.setWindowOpenHandler(({ url }) => {
    log(`refused a new window for ${url}`);
    return { action: 'deny' };
  });
}

/** Camera, microphone, notifications, geolocation, clipboard-read...: the app needs none of them. */
export function hardenSession(session: SessionLike): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}
