#!/usr/bin/env node
// Builds the JavaScript that ships (npm ci / npm run prepare run it after vite has built dist/renderer):
//
//   dist/cli.js            the `textbench` command (package.json bin)
//   dist/library.js        `import { loadBundle } from 'textbench'` (package.json exports)
//   dist/electron-main.js  the Electron main process (package.json main)
//   dist/sqlite-electron.js  run by `npm start` with Electron as Node: builds the app's own SQLite native module once
//   dist/app/preload.cjs   the Electron preload, one CommonJS file (a sandboxed preload cannot import modules)
//   dist/<worker>.js       every worker thread and child process the engine starts (WORKERS below)
//   dist/chunk-*.js        code the entries share, loaded on demand (so `textbench --help` loads no TensorFlow.js)
//   dist/assets/           files the code reads beside itself (.wasm kernels, the sample dataset)
//
// The sources find their workers and assets relative to themselves: `new URL('./wasm/rnn.wasm', import.meta.url)`.
// In a bundle every module lives in dist/, so this build rewrites each such URL to the file's place in dist/ (a
// worker to its bundled entry, any other file to a copy in dist/assets/), and `import.meta.dirname` to the
// source file's folder (as seen from dist/, for paths to the repository's dist/renderer or package.json).
// A `new URL(..., import.meta.url)` that names neither a worker below nor an existing file fails the build.
//
// Adding a worker or child process: add its source file to WORKERS (and, for a .mjs loader shim that registers
// tsx, the shim too: the bundle replaces the shim).
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
// `--out DIR` builds elsewhere (the dist tests build a fresh copy there); dist/ by default.
const outArg = process.argv.indexOf('--out');
const dist = outArg > 0 ? path.resolve(process.argv[outArg + 1]) : path.join(root, 'dist');
const rel = (p) => path.relative(root, p).split(path.sep).join('/');

/** Worker threads and child processes: dist name -> source, plus the source-tree shims that stand for them. */
const WORKERS = {
  worker: { source: 'main/engine/worker.ts', shims: ['main/engine/worker-entry.mjs'] },
  'fit-worker': { source: 'main/engine/train/linear/fit-worker.ts', shims: ['main/engine/train/linear/fit-worker-entry.mjs'] },
  'rnn-worker': { source: 'main/engine/compute/wasm/rnn-worker.mjs', shims: [] },
  'probe-child': { source: 'main/engine/compute/probe-child.ts', shims: [] },
  'survey-child': { source: 'main/engine/compute/webgpu/survey-child.mjs', shims: [] },
};

/** The public entries. */
const ENTRIES = {
  cli: 'main/cli/bin.ts',
  library: 'main/engine/bundle/index.ts',
  'electron-main': 'main/app/main.ts',
  // run by npm start with Electron as Node: the desktop app's own SQLite build (main/app/sqlite-electron.ts)
  'sqlite-electron': 'main/app/sqlite-electron.ts',
};

/** Source path (repository-relative) -> output file name in dist/, for workers and their shims. */
const workerOutput = new Map();
for (const [name, w] of Object.entries(WORKERS)) {
  for (const p of [w.source, ...w.shims]) workerOutput.set(p, `${name}.js`);
}

/** Asset copies: repository path -> name in dist/assets/. */
const assets = new Map();

function assetName(source) {
  const base = path.basename(source);
  for (const [src, name] of assets) if (name === base && src !== source) throw new Error(`build: two assets are both named ${base}: ${src} and ${source}; rename one`);
  assets.set(source, base);
  return base;
}

/** Rewrites one source file's import.meta uses for its place in dist/ (see the top of this file). */
export function rewrite(file, text) {
  const fileRel = rel(file);
  const lineOf = (i) => text.slice(0, i).split('\n').length;
  const urls = [];
  let out = text.replace(/new URL\(\s*(['"])([^'"]+)\1\s*,\s*import\.meta\.url\s*\)/g, (match, _q, spec, index) => {
    const target = rel(path.resolve(path.dirname(file), spec));
    const worker = workerOutput.get(target);
    const place = path.join(root, target);
    if (worker) urls.push(`./${worker}`);
    else if (fs.existsSync(place) && fs.statSync(place).isFile()) urls.push(`./assets/${assetName(target)}`);
    else throw new Error(`build: ${fileRel}:${lineOf(index)}: ${match} names ${target}, which is neither a worker in tools/build.mjs WORKERS nor a file; add it there`);
    return `\u0000URL${urls.length - 1}\u0000`;
  });
  const left = /new URL\([^)]*import\.meta\.url|import\.meta\.filename/.exec(out);
  if (left) throw new Error(`build: ${fileRel}: '${left[0]}' cannot be rewritten for dist/; use new URL('<literal path>', import.meta.url)`);
  out = out.replace(/\u0000URL(\d+)\u0000/g, (_m, i) => `new URL(${JSON.stringify(urls[Number(i)])}, import.meta.url)`);
  const dirFromDist = path.relative(path.join(root, 'dist'), path.dirname(file)).split(path.sep).join('/');
  return out.replace(/\bimport\.meta\.dirname\b/g, `(import.meta.dirname + ${JSON.stringify(`/${dirFromDist}`)})`);
}

const importMetaPlugin = {
  name: 'textbench-import-meta',
  setup(b) {
    b.onLoad({ filter: /\.(ts|mts|mjs|js)$/ }, async (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const text = await fs.promises.readFile(args.path, 'utf8');
      if (!text.includes('import.meta')) return undefined;
      return { contents: rewrite(args.path, text), loader: args.path.endsWith('.ts') || args.path.endsWith('.mts') ? 'ts' : 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

export async function buildDist({ quiet = false } = {}) {
  const t0 = Date.now();
  // Everything but the renderer (vite's) is rebuilt from scratch, so no stale chunk or worker survives.
  for (const e of fs.existsSync(dist) ? fs.readdirSync(dist) : []) {
    if (e !== 'renderer') fs.rmSync(path.join(dist, e), { recursive: true, force: true });
  }
  const entryPoints = [
    ...Object.entries(ENTRIES).map(([out, source]) => ({ out, in: path.join(root, source) })),
    ...Object.entries(WORKERS).map(([out, w]) => ({ out, in: path.join(root, w.source) })),
  ];
  await build({
    entryPoints,
    outdir: dist,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // npm packages stay in node_modules (installed as dependencies; native ones cannot be bundled); Electron is
    // the runtime's own module.
    packages: 'external',
    external: ['electron'],
    chunkNames: 'chunk-[hash]',
    plugins: [importMetaPlugin],
    logLevel: 'warning',
    legalComments: 'none',
  });
  const cli = path.join(dist, 'cli.js');
  fs.writeFileSync(cli, `#!/usr/bin/env node\n${fs.readFileSync(cli, 'utf8')}`);
  fs.chmodSync(cli, 0o755);
  await build({
    entryPoints: [path.join(root, 'main/app/preload.ts')],
    outfile: path.join(dist, 'app/preload.cjs'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['electron'],
    logLevel: 'warning',
  });
  fs.mkdirSync(path.join(dist, 'assets'), { recursive: true });
  for (const [source, name] of assets) fs.copyFileSync(path.join(root, source), path.join(dist, 'assets', name));
  if (!quiet) {
    const files = fs.readdirSync(dist).filter((f) => f.endsWith('.js'));
    console.log(`built dist/: ${files.length} JavaScript files, ${assets.size} assets (${[...assets.values()].join(', ')}), in ${Date.now() - t0} ms`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  try {
    await buildDist();
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
}
