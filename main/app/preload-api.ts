// What the preload exposes as `window.textbench`: four functions and a mode string. No ipcRenderer, no
// Node objects, no event objects (an IpcRendererEvent carries `sender`). Pure: tested without Electron.
import type { ApiEvent, ApiResponse, MenuCommand, PreloadApi } from '../../shared/api.ts';
import { IPC, isKnownApiName } from '../../shared/api-names.ts';

export interface IpcLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

export function createPreloadApi(ipc: IpcLike, pathForFile: (file: object) => string): PreloadApi {
  function subscribe<T>(channel: string, listener: (payload: T) => void): () => void {
    const wrapped = (_event: unknown, payload: unknown) => listener(payload as T);
    ipc.on(channel, wrapped);
    return () => void ipc.removeListener(channel, wrapped);
  }
  return Object.freeze({
    mode: 'electron' as const,
    async call(name: unknown, input: unknown): Promise<ApiResponse<unknown>> {
      // Refuse unknown names here too, so only the one channel with a known request ever reaches IPC.
      if (!isKnownApiName(name)) return { ok: false, error: { message: `Unknown request "${String(name)}".`, code: 'UNKNOWN_REQUEST' } };
      return (await ipc.invoke(IPC.call, name, input)) as ApiResponse<unknown>;
    },
    onEvent: (listener: (event: ApiEvent) => void) => subscribe<ApiEvent>(IPC.event, listener),
    onMenu: (listener: (command: MenuCommand) => void) => subscribe<MenuCommand>(IPC.menu, listener),
    pathForFile: (file: object) => pathForFile(file),
  });
}
