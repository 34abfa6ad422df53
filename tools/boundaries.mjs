#!/usr/bin/env node
// The import-boundary rule: which part of the tree may import which. Fails (exit 1) with one line per import that
// crosses a boundary, naming the file, the line, the import and the rule. `npm run boundaries`; .ci/run runs it
// before the tests. To allow a new kind of import, change a rule below and say why in its `why`.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

/**
 * Each rule: files under `from` may not import what `forbid` matches (a path prefix relative to the repository,
 * or a bare module name/prefix such as 'node:' or 'electron'), unless `allow` matches it first.
 * `typesToo: false` lets `import type` through: types are erased, nothing is loaded at run time.
 */
const RULES = [
  {
    from: 'shared/',
    forbid: ['main/', 'renderer/', 'node:', 'electron', '*'],
    allow: ['shared/', 'zod'],
    why: 'shared/ runs on both sides (Node and the browser): plain data and schemas only',
  },
  {
    from: 'renderer/src/',
    forbid: ['main/', 'node:', 'electron'],
    why: 'the renderer is a web page; it reaches the engine only through the API (shared/api.ts)',
  },
  {
    from: 'main/',
    forbid: ['renderer/'],
    why: 'the Node side never loads the web page code',
  },
  {
    from: 'main/engine/',
    forbid: ['main/app/', 'main/server/', 'main/cli/', 'main/api/', 'electron'],
    why: 'the engine is used by every transport and knows none of them (the app installs what it needs, e.g. setNodeSpawner)',
  },
  {
    from: 'main/api/',
    forbid: ['main/app/', 'main/server/', 'main/cli/', 'electron'],
    why: 'the API handlers are shared by IPC and HTTP; the transports import them, not the other way round',
  },
  {
    from: 'main/app/',
    forbid: ['main/server/', 'main/cli/'],
    why: 'the Electron app is a transport of its own: it uses main/api/, not the HTTP server or the CLI',
  },
  {
    from: 'main/server/',
    forbid: ['main/app/', 'electron'],
    why: 'the HTTP server runs without Electron',
  },
  {
    from: 'main/engine/store/',
    forbid: ['main/'],
    allow: ['main/engine/store/', 'main/engine/errors.ts', 'main/engine/text/'],
    // Type-only imports too: a stored shape that store/ keeps is declared in store/ (e.g. LinearModelJSON in
    // linear-parts.ts), and the code above imports it from there.
    why: 'store/ is the bottom of the engine (SQL only); data/, train/, bundle/ build on it, never the reverse',
  },
];

const SOURCE = /\.(ts|mts|mjs|js|svelte)$/;
const SKIP = new Set(['node_modules', 'dist', '.git']);

function* files(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (SOURCE.test(e.name) && !e.name.endsWith('.d.ts')) yield p;
  }
}

/** Import and export-from statements, side-effect imports and import('...') with a literal, with their line. */
export function importsOf(text) {
  const found = [];
  const lineAt = (i) => text.slice(0, i).split('\n').length;
  const staticRe = /^[ \t]*(import|export)\s+(type\s+)?([^;'"]*?)\s*from\s*['"]([^'"]+)['"]/gm;
  for (const m of text.matchAll(staticRe)) {
    const names = m[3];
    const allTypes = /^\{[^}]*\}$/.test(names.trim()) && names.replace(/[{}\s]/g, '').split(',').filter(Boolean).every((n) => n.startsWith('type'));
    found.push({ spec: m[4], line: lineAt(m.index), typeOnly: !!m[2] || allTypes });
  }
  for (const m of text.matchAll(/^[ \t]*import\s*['"]([^'"]+)['"]/gm)) found.push({ spec: m[1], line: lineAt(m.index), typeOnly: false });
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push({ spec: m[1], line: lineAt(m.index), typeOnly: false });
  return found;
}

/** What an import names: a repository path for a relative import, else the bare module name. */
function target(file, spec) {
  if (!spec.startsWith('.')) return { bare: spec };
  return { rel: path.relative(root, path.resolve(path.dirname(file), spec)).split(path.sep).join('/') };
}

function matches(prefix, t) {
  if (t.rel !== undefined) return !prefix.includes(':') && prefix !== '*' && (t.rel === prefix || t.rel.startsWith(prefix));
  if (prefix === '*') return true;
  return prefix.endsWith(':') ? t.bare.startsWith(prefix) : t.bare === prefix || t.bare.startsWith(`${prefix}/`);
}

/** The boundary problems of one file (`rel`: its path in the repository, `text`: its source). */
export function problemsOf(rel, text) {
  const problems = [];
  const rules = RULES.filter((r) => rel.startsWith(r.from));
  if (!rules.length) return problems;
  for (const imp of importsOf(text)) {
    const t = target(path.join(root, rel), imp.spec);
    for (const r of rules) {
      if (imp.typeOnly && r.typesToo === false) continue;
      if ((r.allow ?? []).some((a) => matches(a, t))) continue;
      if (r.forbid.some((f) => matches(f, t))) problems.push(`${rel}:${imp.line}: imports '${imp.spec}': ${r.from} may not import ${t.rel ?? t.bare} (${r.why})`);
    }
  }
  return problems;
}

export function check(dirs = ['main', 'renderer', 'shared']) {
  const problems = [];
  for (const dir of dirs) {
    for (const file of files(path.join(root, dir))) {
      problems.push(...problemsOf(path.relative(root, file).split(path.sep).join('/'), fs.readFileSync(file, 'utf8')));
    }
  }
  return problems;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const problems = check();
  if (problems.length) {
    console.error(`boundaries: ${problems.length} import(s) cross a boundary (rules in tools/boundaries.mjs):`);
    for (const p of problems) console.error(`  ${p}`);
    process.exit(1);
  }
  console.log('boundaries: every import stays inside its boundaries');
}
