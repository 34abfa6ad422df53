// One client interface over two transports: Electron (window.textbench from the preload) and the browser
// (fetch + WebSocket to `textbench serve`, with the token from the page URL). Views only see ApiClient.
import type { ApiError, ApiEvent, ApiInput, ApiName, ApiOutput, ApiResponse, MenuCommand } from '../../../shared/api.ts';

export class ApiCallError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown>;
  readonly issues: string[];
  constructor(error: ApiError) {
    super(error.message);
    this.name = 'ApiCallError';
    this.code = error.code;
    this.details = error.details ?? {};
    this.issues = error.issues ?? [];
  }
}

export interface UploadProgress {
  loaded: number;
  total: number;
}

export interface ApiClient {
  readonly mode: 'electron' | 'browser';
  call<N extends ApiName>(name: N, input: ApiInput<N>): Promise<ApiOutput<N>>;
  onEvent(listener: (event: ApiEvent) => void): () => void;
  onMenu(listener: (command: MenuCommand) => void): () => void;
  /** A path the Node side can read: the file's own path in Electron, an uploaded copy in the browser. */
  fileToPath(file: File, onProgress?: (p: UploadProgress) => void): Promise<string>;
  /** Turns a server-relative download link into one the page can open (browser mode). */
  downloadUrl(link: string): string;
}

export function unwrap<T>(response: ApiResponse<unknown>): T {
  if (!response || typeof response !== 'object' || !('ok' in response)) {
    throw new ApiCallError({ message: 'The app answered with something that is not an API response.', code: 'BAD_RESPONSE' });
  }
  if (!response.ok) throw new ApiCallError(response.error);
  return response.result as T;
}
