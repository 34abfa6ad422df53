import type { ApiEvent, ApiInput, ApiName, ApiOutput, ApiResponse } from '../../../shared/api.ts';
import { ApiCallError, unwrap, type ApiClient, type UploadProgress } from './client.ts';

export const TOKEN_HEADER = 'x-textbench-token';

/** The token `textbench serve` put in the URL it printed. */
export function tokenFromLocation(search: string): string | null {
  return new URLSearchParams(search).get('token');
}

export function browserClient(origin: string, token: string): ApiClient {
  const listeners = new Set<(e: ApiEvent) => void>();
  let socket: WebSocket | null = null;
  let retry = 0;

  function connect(): void {
    const url = `${origin.replace(/^http/, 'ws')}/events?token=${encodeURIComponent(token)}`;
    socket = new WebSocket(url);
    socket.onopen = () => (retry = 0);
    socket.onmessage = (msg) => {
      let event: ApiEvent;
      try {
        event = JSON.parse(String(msg.data)) as ApiEvent;
      } catch (err) {
        console.error('textbench: an event from the server was not JSON', err);
        return;
      }
      for (const l of listeners) l(event);
    };
    // The server may restart (or the laptop sleep): reconnect with a growing delay, capped at 10 s.
    socket.onclose = () => {
      socket = null;
      if (listeners.size) setTimeout(connect, Math.min(10_000, 500 * 2 ** retry++));
    };
  }

  return {
    mode: 'browser',
    async call<N extends ApiName>(name: N, input: ApiInput<N>): Promise<ApiOutput<N>> {
      let res: Response;
      try {
        res = await fetch(`${origin}/api/${encodeURIComponent(name)}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [TOKEN_HEADER]: token },
          body: JSON.stringify(input ?? {}),
        });
      } catch {
        throw new ApiCallError({ message: 'Cannot reach the Textbench server. Is `textbench serve` still running?', code: 'OFFLINE' });
      }
      if (res.status === 401 || res.status === 403) {
        throw new ApiCallError({ message: `The server refused the request (${res.status}): ${await res.text()}`, code: 'UNAUTHORIZED' });
      }
      return unwrap<ApiOutput<N>>((await res.json()) as ApiResponse<unknown>);
    },
    onEvent(listener) {
      listeners.add(listener);
      if (!socket) connect();
      return () => {
        listeners.delete(listener);
        if (!listeners.size && socket) socket.close();
      };
    },
    onMenu: () => () => {},
    fileToPath(file: File, onProgress?: (p: UploadProgress) => void): Promise<string> {
      // XMLHttpRequest, not fetch: it reports upload progress.
      return new Promise((resolve, reject) => {
        const xhr = new XMLHttpRequest();
        xhr.open('POST', `${origin}/upload?name=${encodeURIComponent(file.name)}`);
        xhr.setRequestHeader(TOKEN_HEADER, token);
        xhr.upload.onprogress = (e) => onProgress?.({ loaded: e.loaded, total: e.lengthComputable ? e.total : file.size });
        xhr.onerror = () => reject(new ApiCallError({ message: `Uploading "${file.name}" failed: the server did not answer.`, code: 'UPLOAD_FAILED' }));
        xhr.onload = () => {
          try {
            resolve(unwrap<{ path: string }>(JSON.parse(xhr.responseText) as ApiResponse<unknown>).path);
          } catch (err) {
            reject(err instanceof ApiCallError ? err : new ApiCallError({ message: `Uploading "${file.name}" failed (${xhr.status}).`, code: 'UPLOAD_FAILED' }));
          }
        };
        xhr.send(file);
      });
    },
    downloadUrl: (link) => origin + link,
  };
}
