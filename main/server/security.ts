// Pure request checks for `textbench serve`. The server listens on loopback only, but any web page the user
// visits can still talk to 127.0.0.1: a token in the URL stops blind requests, and the Host/Origin checks stop
// DNS rebinding (a foreign name resolving to 127.0.0.1) and cross-site pages.
import crypto from 'node:crypto';

export const TOKEN_COOKIE = 'textbench_token';
export const TOKEN_HEADER = 'x-textbench-token';

export function newToken(): string {
  return crypto.randomBytes(24).toString('base64url');
}

export function sameToken(given: string | undefined | null, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = decodeCookieValue(part.slice(i + 1).trim());
  }
  return out;
}

/** A cookie value with its percent-escapes decoded; a malformed escape ("%E0%A4%A") leaves the value as sent. */
function decodeCookieValue(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    // Anyone can send any Cookie header; a URIError here used to escape the upgrade handler and end the server.
    return value;
  }
}

/** Host names a loopback server may be reached by. Anything else is a rebinding attempt or a misconfiguration. */
export function allowedHosts(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
}

export function allowedOrigins(port: number): Set<string> {
  return new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);
}

export interface RequestFacts {
  url: string;
  host: string | undefined;
  origin: string | undefined;
  cookie: string | undefined;
  tokenHeader: string | undefined;
}

export type Verdict = { ok: true; via: 'query' | 'header' | 'cookie' } | { ok: false; status: 401 | 403; reason: string };

/**
 * Decides whether a request (HTTP or WebSocket upgrade) may proceed.
 * `requireOrigin` is for WebSocket upgrades: browsers always send Origin there, so a missing one is refused.
 */
export function checkRequest(req: RequestFacts, token: string, port: number, requireOrigin = false): Verdict {
  if (!req.host || !allowedHosts(port).has(req.host.toLowerCase())) {
    return { ok: false, status: 403, reason: `Host "${req.host ?? ''}" is not this server; open http://127.0.0.1:${port}/ instead.` };
  }
  if (req.origin !== undefined || requireOrigin) {
    if (!req.origin || !allowedOrigins(port).has(req.origin.toLowerCase())) {
      return { ok: false, status: 403, reason: `Requests from origin "${req.origin ?? '(none)'}" are refused.` };
    }
  }
  const url = new URL(req.url, `http://127.0.0.1:${port}`);
  if (sameToken(url.searchParams.get('token'), token)) return { ok: true, via: 'query' };
  if (sameToken(req.tokenHeader, token)) return { ok: true, via: 'header' };
  if (sameToken(parseCookies(req.cookie)[TOKEN_COOKIE], token)) return { ok: true, via: 'cookie' };
  return { ok: false, status: 401, reason: 'Missing or wrong token. Open the URL that `textbench serve` printed (it ends in ?token=...).' };
}

/** The renderer's CSP in browser mode: same as the desktop app, plus the WebSocket back to this server. */
export function browserCsp(port: number): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
