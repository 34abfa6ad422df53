/// <reference types="svelte" />
/// <reference types="vite/client" />
import type { PreloadApi } from "../../shared/api.ts";

declare global {
  interface Window {
    /** Present only in the Electron app: the preload's API (see main/app/preload-api.ts). */
    textbench?: PreloadApi;
  }
}
export {};
