// Bundled by tools/build.mjs into dist/app/preload.cjs (a sandboxed preload cannot load modules from disk).
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { createPreloadApi } from './preload-api.ts';

contextBridge.exposeInMainWorld(
  'textbench',
  createPreloadApi(ipcRenderer, (file) => webUtils.getPathForFile(file as File)),
);
