// `textbench serve`: the renderer and the API over HTTP + WebSocket, on 127.0.0.1 only.
//   GET  /?token=T          the renderer (sets an HttpOnly SameSite=Strict cookie so its assets load)
//   POST /api/NAME          one API call: JSON input in, ApiResponse out
//   POST /upload?name=F     a file from the browser, streamed to a temp file (size-limited) → { path }
//   GET  /download/ID       a file the server wrote for this browser (classified outputs)
//   WS   /events?token=T    every WorkbenchEvent as one JSON message
import http from 'node:http';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Transform, type Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Workbench } from '../engine/workbench.ts';
import type { ApiError, ApiHandlers, ApiResponse } from '../../shared/api.ts';
import { dispatch } from '../api/dispatch.ts';
import { createHandlers } from '../api/handlers.ts';
import { browserCsp, checkRequest, newToken, TOKEN_COOKIE, TOKEN_HEADER, type RequestFacts } from './security.ts';
import { TextbenchError } from '../engine/errors.ts';

export interface ServeOptions {
  workbench: Workbench;
  /** 0 = any free port. */
  port?: number;
  token?: string;
  /** The built renderer (vite output). */
  staticDir?: string;
  maxUploadBytes?: number;
  version?: string;
  log?: (line: string) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
};

export const DEFAULT_STATIC_DIR = path.resolve(import.meta.dirname, '../../dist/renderer');
export const DEFAULT_MAX_UPLOAD = 1024 * 1024 * 1024; // 1 GiB
const MAX_JSON_BODY = 16 * 1024 * 1024;

function facts(req: http.IncomingMessage): RequestFacts {
  const h = req.headers;
  return {
    url: req.url ?? '/',
    host: h.host,
    origin: typeof h.origin === 'string' ? h.origin : undefined,
    cookie: h.cookie,
    tokenHeader: typeof h[TOKEN_HEADER] === 'string' ? (h[TOKEN_HEADER] as string) : undefined,
  };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(data);
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_JSON_BODY) throw new TextbenchError('The request body is too large (over 16 MB).', 'BODY_TOO_LARGE');
    chunks.push(chunk as Buffer);
  }
  if (!size) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new TextbenchError('The request body is not valid JSON.', 'INVALID_JSON');
  }
}

/** Keeps a name's extension (the importer guesses the format from it) and nothing that could escape the folder. */
export function safeUploadName(name: string | null): string {
  const base = path.basename((name ?? 'upload').replace(/\\/g, '/'));
  const clean = base.replace(/[^\p{L}\p{N}._ -]+/gu, '_').replace(/^\.+/, '').slice(-120);
  return clean || 'upload';
}

/** Replaces upload temp paths in an error with the uploaded file's own name. */
export function nameUploads(error: ApiError, uploads: ReadonlyMap<string, string>): ApiError {
  let message = error.message;
  const details = error.details ? { ...error.details } : undefined;
  for (const [tmp, name] of uploads) {
    message = message.split(tmp).join(name);
    if (details && details.file === tmp) details.file = name;
  }
  return { ...error, message, ...(details ? { details } : {}) };
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const wb = opts.workbench;
  const token = opts.token ?? newToken();
  const staticDir = path.resolve(opts.staticDir ?? DEFAULT_STATIC_DIR);
  const maxUpload = opts.maxUploadBytes ?? DEFAULT_MAX_UPLOAD;
  const log = opts.log ?? (() => {});
  const uploadDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'textbench-uploads-'));
  const downloads = new Map<string, string>();
  /** Upload temp path → the name the user's file had, so messages name their file, not our temp folder. */
  const uploads = new Map<string, string>();
  let port = opts.port ?? 0;

  const base = createHandlers(wb, { mode: 'browser', version: opts.version ?? '0.0.0', maxUploadBytes: maxUpload });
  const handlers: ApiHandlers = {
    ...base,
    // Offer what the server wrote back to the browser, by an unguessable id (never by path).
    'models.classifyFile': async (input) => {
      const result = await base['models.classifyFile'](input);
      const id = crypto.randomBytes(12).toString('base64url');
      downloads.set(id, result.out);
      return { ...result, download: `/download/${id}?token=${encodeURIComponent(token)}` };
    },
  };

  async function serveStatic(req: http.IncomingMessage, res: http.ServerResponse, url: URL, viaQuery: boolean): Promise<void> {
    let rel = decodeURIComponent(url.pathname);
    if (rel === '/' || !path.extname(rel)) rel = '/index.html';
    const file = path.resolve(staticDir, '.' + rel);
    if (!file.startsWith(staticDir + path.sep)) {
      res.writeHead(404).end();
      return;
    }
    let body: Buffer;
    try {
      body = await fsp.readFile(file);
    } catch {
      if (rel === '/index.html') {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`The renderer is not built (${file} is missing). Run \`npm run prepare\` (vite build) and reload.`);
      } else res.writeHead(404).end();
      return;
    }
    const headers: Record<string, string> = {
      'content-type': MIME[path.extname(file)] ?? 'application/octet-stream',
      'content-security-policy': browserCsp(port),
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cache-control': rel === '/index.html' ? 'no-store' : 'private, max-age=3600',
    };
    if (viaQuery) headers['set-cookie'] = `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  async function upload(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > maxUpload) {
      req.resume();
      sendJson(res, 413, {
        ok: false,
        error: { message: `The file is ${(declared / 1e6).toFixed(1)} MB; the browser upload limit is ${(maxUpload / 1e6).toFixed(0)} MB. Use \`textbench import FILE\` for larger files.`, code: 'UPLOAD_TOO_LARGE' },
      });
      return;
    }
    const dir = await fsp.mkdtemp(path.join(uploadDir, 'u-'));
    const target = path.join(dir, safeUploadName(url.searchParams.get('name')));
    let seen = 0;
    const limiter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        seen += chunk.length;
        if (seen > maxUpload) cb(new TextbenchError(`The upload is over the ${(maxUpload / 1e6).toFixed(0)} MB limit.`, 'UPLOAD_TOO_LARGE'));
        else cb(null, chunk);
      },
    });
    try {
      await pipeline(req, limiter, fs.createWriteStream(target));
    } catch (err) {
      await fsp.rm(dir, { recursive: true, force: true });
      throw err;
    }
    uploads.set(target, path.basename(url.searchParams.get('name') ?? target));
    sendJson(res, 200, { ok: true, result: { path: target, bytes: seen } } satisfies ApiResponse<{ path: string; bytes: number }>);
  }

  async function download(res: http.ServerResponse, id: string): Promise<void> {
    const file = downloads.get(id);
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-disposition': `attachment; filename="${path.basename(file).replace(/"/g, '')}"`,
      'cache-control': 'no-store',
    });
    await pipeline(fs.createReadStream(file), res);
  }

  const server = http.createServer((req, res) => {
    void (async () => {
      const verdict = checkRequest(facts(req), token, port);
      if (!verdict.ok) {
        res.writeHead(verdict.status, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(verdict.reason);
        return;
      }
      const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
      const method = req.method ?? 'GET';
      if (url.pathname.startsWith('/api/')) {
        if (method !== 'POST') return void res.writeHead(405, { allow: 'POST' }).end();
        // A JSON body forces a CORS preflight from foreign pages; plain forms cannot send it.
        if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
          return sendJson(res, 415, { ok: false, error: { message: 'API calls must send JSON (content-type: application/json).', code: 'NOT_JSON' } });
        }
        const name = decodeURIComponent(url.pathname.slice('/api/'.length));
        const input = await readJson(req);
        const response = await dispatch(handlers, name, input, { mode: 'browser', onUnexpected: (n, e) => log(`error in ${n}: ${(e as Error).stack ?? String(e)}`) });
        return sendJson(res, 200, response.ok ? response : { ok: false, error: nameUploads(response.error, uploads) });
      }
      if (url.pathname === '/upload') {
        if (method !== 'POST') return void res.writeHead(405, { allow: 'POST' }).end();
        return upload(req, res, url);
      }
      if (url.pathname.startsWith('/download/') && method === 'GET') return download(res, url.pathname.slice('/download/'.length));
      if (method !== 'GET' && method !== 'HEAD') return void res.writeHead(405).end();
      return serveStatic(req, res, url, verdict.via === 'query');
    })().catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      if (!(err instanceof TextbenchError)) log(`request ${req.method} ${req.url?.split('?')[0]} failed: ${(err as Error).stack ?? message}`);
      if (!res.headersSent) sendJson(res, err instanceof TextbenchError && err.code === 'UPLOAD_TOO_LARGE' ? 413 : 400, { ok: false, error: { message, code: err instanceof TextbenchError ? err.code : 'BAD_REQUEST' } });
      else res.destroy();
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const sockets = new Set<WebSocket>();
  const refuseUpgrade = (socket: Duplex, status: number): void => {
    if (socket.writable) socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    else socket.destroy();
  };
  // The upgrade path is outside http's request handling: an exception here, or an 'error' on a socket nobody
  // listens to (a client that resets), would end the whole process. Every failure becomes an answer and a log line.
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', (err) => log(`websocket upgrade ${req.url?.split('?')[0] ?? ''}: ${err.message}`));
    try {
      const verdict = checkRequest(facts(req), token, port, true);
      const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
      if (!verdict.ok || url.pathname !== '/events') return refuseUpgrade(socket, verdict.ok ? 404 : verdict.status);
      wss.handleUpgrade(req, socket, head, (ws) => {
        sockets.add(ws);
        ws.on('close', () => sockets.delete(ws));
        ws.on('error', (err) => log(`websocket: ${err.message}`));
      });
    } catch (err) {
      log(`websocket upgrade ${req.url?.split('?')[0] ?? ''} failed: ${(err as Error).stack ?? String(err)}`);
      refuseUpgrade(socket, 400);
    }
  });
  const unsubscribe = wb.onEvent((event) => {
    const data = JSON.stringify(event);
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(data);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('The server did not report its port.');
  port = addr.port;

  return {
    url: `http://127.0.0.1:${port}/?token=${encodeURIComponent(token)}`,
    port,
    token,
    async close() {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fsp.rm(uploadDir, { recursive: true, force: true });
    },
  };
}
