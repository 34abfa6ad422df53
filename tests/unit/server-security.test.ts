// `textbench serve` on a real workspace: the token, Host and Origin checks on HTTP and on the WebSocket,
// uploads with their size limit, the static files, and API validation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { Workbench } from '../../main/engine/workbench.ts';
import { startServer, safeUploadName, type RunningServer } from '../../main/server/server.ts';
import { checkRequest } from '../../main/server/security.ts';
import type { ApiEvent } from '../../shared/api.ts';

let dir: string;
let staticDir: string;
let wb: Workbench;
let server: RunningServer;
let host: string;

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(opts: { path: string; method?: string; headers?: Record<string, string>; body?: string | Buffer }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, path: opts.path, method: opts.method ?? 'GET', headers: { host, ...opts.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

function api(name: string, input: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return request({
    path: `/api/${name}`,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-textbench-token': server.token, ...headers },
    body: JSON.stringify(input),
  });
}

/** Resolves with 'open' or the HTTP status the upgrade was refused with. */
function connect(query: string, headers: Record<string, string>): Promise<{ result: 'open' | number; ws: WebSocket }> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/events${query}`, { headers });
  return new Promise((resolve) => {
    ws.once('open', () => resolve({ result: 'open', ws }));
    ws.once('unexpected-response', (_req, res) => resolve({ result: res.statusCode ?? 0, ws }));
    ws.once('error', () => resolve({ result: -1, ws }));
  });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-serve-'));
  staticDir = path.join(dir, 'renderer');
  fs.mkdirSync(staticDir);
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>t</title>');
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'not for the browser');
  wb = Workbench.open({ workspace: path.join(dir, 'ws') });
  server = await startServer({ workbench: wb, staticDir, maxUploadBytes: 4096 });
  host = `127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server?.close();
  await wb?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('HTTP', () => {
  it('binds to loopback only and prints a URL with the token', () => {
    expect(server.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/\\?token=`));
    expect(server.token.length).toBeGreaterThanOrEqual(32);
  });

  it('refuses requests without the token, or with a wrong one', async () => {
    expect((await request({ path: '/' })).status).toBe(401);
    expect((await api('projects.list', {}, { 'x-textbench-token': '' })).status).toBe(401);
    expect((await api('projects.list', {}, { 'x-textbench-token': 'x'.repeat(server.token.length) })).status).toBe(401);
    expect((await request({ path: `/?token=${server.token}x` })).status).toBe(401);
  });

  it('refuses a wrong Host (DNS rebinding), even with the token', async () => {
    const res = await api('projects.list', {}, { host: `evil.example:${server.port}` });
    expect(res.status).toBe(403);
    expect((await api('projects.list', {}, { host: '127.0.0.1:1' })).status).toBe(403);
  });

  it('refuses a foreign Origin, even with the token', async () => {
    expect((await api('projects.list', {}, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await api('projects.list', {}, { origin: `http://127.0.0.1:${server.port}` })).status).toBe(200);
  });

  it('accepts the token in the query, a header or the cookie the page sets', async () => {
    const page = await request({ path: `/?token=${server.token}` });
    expect(page.status).toBe(200);
    const cookie = String(page.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    const viaCookie = await request({ path: '/index.html', headers: { cookie: cookie.split(';')[0]! } });
    expect(viaCookie.status).toBe(200);
    const list = await api('projects.list', {});
    expect(JSON.parse(list.body)).toEqual({ ok: true, result: [] });
  });

  it('serves nothing outside the renderer folder', async () => {
    const res = await request({ path: `/..%2fsecret.txt?token=${server.token}` });
    expect(res.body).not.toContain('not for the browser');
  });

  it('validates API input against the schema and names the field', async () => {
    const bad = JSON.parse((await api('projects.create', { name: '' })).body);
    expect(bad.ok).toBe(false);
    expect(bad.error.code).toBe('INVALID_INPUT');
    expect(bad.error.issues[0]).toMatch(/^name:/);
    const unconfirmed = JSON.parse((await api('projects.delete', { project: 'x' })).body);
    expect(unconfirmed.error.code).toBe('INVALID_INPUT');
    const unknown = JSON.parse((await api('projects.drop', {})).body);
    expect(unknown.error.code).toBe('UNKNOWN_REQUEST');
    const desktopOnly = JSON.parse((await api('app.reveal', { path: '/tmp' })).body);
    expect(desktopOnly.error.code).toBe('ELECTRON_ONLY');
  });

  it('turns engine errors into messages for a person', async () => {
    const res = JSON.parse((await api('projects.open', { project: 'nope' })).body);
    expect(res.ok).toBe(false);
    expect(res.error.code).toBe('PROJECT_NOT_FOUND');
    expect(res.error.message).toMatch(/No project named "nope"/);
  });

  it('refuses API calls that are not JSON (plain cross-site forms cannot send JSON)', async () => {
    const res = await request({ path: '/api/projects.list', method: 'POST', headers: { 'x-textbench-token': server.token, 'content-type': 'text/plain' }, body: '{}' });
    expect(res.status).toBe(415);
  });

  it('streams an upload to a temp file, keeps the extension, and enforces the size limit', async () => {
    const csv = 'text,label\nI loved it,positive\nAwful,negative\nGreat,positive\nBad,negative\n';
    const ok = await request({ path: '/upload?name=../../reviews.csv', method: 'POST', headers: { 'x-textbench-token': server.token }, body: csv });
    expect(ok.status).toBe(200);
    const uploaded = JSON.parse(ok.body).result.path as string;
    expect(path.basename(uploaded)).toBe('reviews.csv');
    expect(uploaded.startsWith(os.tmpdir())).toBe(true);
    expect(fs.readFileSync(uploaded, 'utf8')).toBe(csv);
    const preview = JSON.parse((await api('data.preview', { file: uploaded })).body);
    expect(preview.ok).toBe(true);
    expect(preview.result.columns).toEqual(['text', 'label']);

    // Errors about an uploaded file name the user's file, not the server's temp folder.
    fs.writeFileSync(uploaded, 'text,label\nfine,pos\nbroken,neg,extra\n');
    const failed = JSON.parse((await api('data.import', { file: uploaded, project: 'u', text: ['text'], label: 'label' })).body);
    expect(failed.ok).toBe(false);
    expect(failed.error.message).toMatch(/^reviews\.csv: /);
    expect(failed.error.message).not.toContain(os.tmpdir());
    expect(failed.error.details.file).toBe('reviews.csv');

    const big = await request({ path: '/upload?name=big.csv', method: 'POST', headers: { 'x-textbench-token': server.token }, body: Buffer.alloc(5000, 97) });
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body).error.code).toBe('UPLOAD_TOO_LARGE');
    expect((await request({ path: '/upload?name=a.csv', method: 'POST', body: csv })).status).toBe(401);
  });

  it('sanitises upload names', () => {
    expect(safeUploadName('..\\..\\evil.csv')).toBe('evil.csv');
    expect(safeUploadName('.hidden')).toBe('hidden');
    expect(safeUploadName(null)).toBe('upload');
    expect(safeUploadName('данные.xlsx')).toBe('данные.xlsx');
  });
});

describe('WebSocket', () => {
  it('refuses a socket without the token', async () => {
    const { result, ws } = await connect('', { origin: `http://${host}` });
    expect(result).toBe(401);
    ws.terminate();
  });

  it('refuses a socket from a foreign Origin or without one, even with the token', async () => {
    const foreign = await connect(`?token=${server.token}`, { origin: 'https://evil.example' });
    expect(foreign.result).toBe(403);
    foreign.ws.terminate();
    const none = await connect(`?token=${server.token}`, {});
    expect(none.result).toBe(403);
    none.ws.terminate();
  });

  it('refuses a socket for a wrong Host', async () => {
    const { result, ws } = await connect(`?token=${server.token}`, { origin: `http://${host}`, host: `evil.example:${server.port}` });
    expect(result).toBe(403);
    ws.terminate();
  });

  it('pushes engine events to an accepted socket', async () => {
    const { result, ws } = await connect(`?token=${server.token}`, { origin: `http://${host}` });
    expect(result).toBe('open');
    const events: ApiEvent[] = [];
    ws.on('message', (m) => events.push(JSON.parse(String(m)) as ApiEvent));
    const file = path.join(dir, 'tiny.csv');
    const rows = ['text,label', ...Array.from({ length: 40 }, (_, i) => `example number ${i} is ${i % 2 ? 'good' : 'bad'},${i % 2 ? 'pos' : 'neg'}`)];
    fs.writeFileSync(file, rows.join('\n') + '\n');
    const res = JSON.parse((await api('data.import', { file, project: 'tiny', text: ['text'], label: 'label' })).body);
    expect(res.ok).toBe(true);
    expect(res.result.rows).toBe(40);
    await expect.poll(() => events.some((e) => e.type === 'import.progress')).toBe(true);
    ws.close();
  });
});

describe('checkRequest (pure)', () => {
  const facts = { url: '/?token=t', host: '127.0.0.1:80', origin: undefined, cookie: undefined, tokenHeader: undefined };
  it('accepts localhost as well as 127.0.0.1, case-insensitively', () => {
    expect(checkRequest({ ...facts, host: 'LOCALHOST:80' }, 't', 80).ok).toBe(true);
  });
  it('needs an Origin on WebSocket upgrades', () => {
    expect(checkRequest(facts, 't', 80, true)).toMatchObject({ ok: false, status: 403 });
    expect(checkRequest({ ...facts, origin: 'http://localhost:80' }, 't', 80, true).ok).toBe(true);
  });
  it('rejects a "null" origin (sandboxed iframes, file:// pages)', () => {
    expect(checkRequest({ ...facts, origin: 'null' }, 't', 80)).toMatchObject({ ok: false, status: 403 });
  });
});
