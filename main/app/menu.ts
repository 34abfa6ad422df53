// The application menu as data (Electron's MenuItemConstructorOptions shape), built from callbacks.
import { VIEWS, VIEW_TITLES, type ViewName } from '../../shared/api.ts';

export interface MenuItem {
  label?: string;
  role?: string;
  type?: 'separator' | 'submenu';
  accelerator?: string;
  click?: () => void;
  submenu?: MenuItem[];
}

export interface MenuActions {
  openFile(): void;
  showView(view: ViewName): void;
  about(): void;
}

export function menuTemplate(actions: MenuActions, opts: { isMac: boolean; developer: boolean }): MenuItem[] {
  const file: MenuItem = {
    label: 'File',
    submenu: [
      { label: 'Import a File…', accelerator: 'CmdOrCtrl+O', click: actions.openFile },
      { type: 'separator' },
      opts.isMac ? { role: 'close' } : { role: 'quit' },
    ],
  };
  const view: MenuItem = {
    label: 'View',
    submenu: [
      ...VIEWS.map((v, i): MenuItem => ({ label: VIEW_TITLES[v], accelerator: `CmdOrCtrl+${i + 1}`, click: () => actions.showView(v) })),
      { type: 'separator' },
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
      ...(opts.developer ? [{ type: 'separator' } as MenuItem, { role: 'reload' }, { role: 'toggleDevTools' }] : []),
    ],
  };
  const edit: MenuItem = { role: 'editMenu' };
  const help: MenuItem = { label: 'Help', submenu: [{ label: 'About Textbench', click: actions.about }] };
  return [...(opts.isMac ? [{ role: 'appMenu' } as MenuItem] : []), file, edit, view, { role: 'windowMenu' }, help];
}
