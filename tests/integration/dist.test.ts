// What ships is JavaScript (tools/build.mjs): the built `textbench` command runs end to end on real data without
// tsx or any TypeScript, its workers and WebAssembly kernels load from the build, and the packed library, installed
// into an empty folder with production dependencies only, classifies with an exported bundle.
// The build is made fresh here from the current sources (in a folder of its own, so the repository's dist/ that
// other tests use is not touched while they run).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { csvField } from '../../main/engine/bundle/batch.ts';

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, '../..');
const DATA = path.resolve(repoRoot, '../shared/datasets/uci_sentiment_labelled_sentences/uci_sentiment.csv');

let tmp: string;
/** The package as npm would pack it: package.json, README.md and a fresh dist/. */
let pkg: string;
let ws: string;
let dataFile: string;
let texts: string[];

/** The built CLI, as the installed `textbench` command runs it. */
async function cli(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [path.join(pkg, 'dist/cli.js'), ...args, '--workspace', ws], { cwd: tmp, maxBuffer: 64 << 20 });
  return stdout;
}

beforeAll(async () => {
  // Inside the repository, so the built files find the repository's node_modules as an installed package would.
  tmp = fs.mkdtempSync(path.join(repoRoot, '.textbench-test-dist-'));
  pkg = path.join(tmp, 'package');
  ws = path.join(tmp, 'workspace');
  fs.mkdirSync(pkg);
  fs.copyFileSync(path.join(repoRoot, 'package.json'), path.join(pkg, 'package.json'));
  fs.copyFileSync(path.join(repoRoot, 'README.md'), path.join(pkg, 'README.md'));
  await run(process.execPath, [path.join(repoRoot, 'tools/build.mjs'), '--out', path.join(pkg, 'dist')], { cwd: repoRoot });
  const rows = parse(fs.readFileSync(DATA), { columns: true }) as Array<Record<string, string>>;
  const slice = [...rows.filter((r) => r.split === 'train').slice(0, 240), ...rows.filter((r) => r.split === 'test').slice(0, 60)];
  dataFile = path.join(tmp, 'sentiment.csv');
  fs.writeFileSync(dataFile, ['text,label,split', ...slice.map((r) => [r.text, r.label, r.split].map((v) => csvField(v!, ',')).join(','))].join('\n') + '\n');
  texts = slice.slice(-5).map((r) => r.text!);
});

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('the built JavaScript (dist/)', () => {
  it('holds no TypeScript and never loads tsx', () => {
    const files = fs.readdirSync(path.join(pkg, 'dist'), { recursive: true }).map(String);
    expect(files.filter((f) => f.endsWith('.ts'))).toEqual([]);
    for (const f of files.filter((f) => /\.(c|m)?js$/.test(f))) {
      const text = fs.readFileSync(path.join(pkg, 'dist', f), 'utf8');
      expect(text, f).not.toMatch(/from ['"]tsx|import\(['"]tsx|(from |import\()['"][^'"]+\.ts['"]/);
    }
    for (const f of ['cli.js', 'library.js', 'electron-main.js', 'worker.js', 'fit-worker.js', 'rnn-worker.js', 'probe-child.js', 'survey-child.js', 'app/preload.cjs', 'assets/rnn.wasm', 'assets/adam.wasm', 'assets/ops.wasm']) {
      expect(fs.existsSync(path.join(pkg, 'dist', f)), f).toBe(true);
    }
  });

  it('runs the CLI end to end: import, the backends with their WebAssembly kernels, train linear and a small GRU, classify', async () => {
    const imported = JSON.parse(await cli('import', dataFile, '--project', 'sentiment', '--json')) as { rows: number; labels: string[] };
    expect(imported).toMatchObject({ rows: 300, labels: ['negative', 'positive'] });

    // The backend probe runs in child processes (dist/probe-child.js); the recurrent kernels are dist/assets/rnn.wasm
    // with their helper threads (dist/rnn-worker.js), the fused Adam and gradient norm dist/assets/adam.wasm, the
    // pooling's products, comparisons and max dist/assets/ops.wasm.
    const probe = JSON.parse(await cli('backends', '--json')) as { backends: Array<{ name: string; loads: boolean; kernels?: string[]; notes?: string[] }> };
    const wasm = probe.backends.find((b) => b.name === 'wasm')!;
    expect(wasm.loads).toBe(true);
    expect(wasm.kernels).toEqual(expect.arrayContaining(['TextbenchFusedGru (added)', 'TextbenchAdam (added)', 'TextbenchGlobalNorm (added)', 'Max (replaced)']));
    expect(wasm.notes?.join(' ')).toMatch(/recurrent layers: WebAssembly SIMD/);
    // ops.wasm loads from the bundle (without it the pooling's kernels fall back to tfjs's, right but slower).
    expect(wasm.notes?.join(' ')).toMatch(/pooling ops: WebAssembly ops\.c/);

    // Training runs in the engine worker (dist/worker.js); linear's cross-validation fits in dist/fit-worker.js.
    const linear = JSON.parse(await cli('train', '--model', 'linear', '--name', 'lin', '--json')) as { run: string; status: string; model: string };
    expect(linear).toMatchObject({ status: 'finished', model: 'linear' });
    const gru = JSON.parse(
      await cli('train', '--model', 'gru', '--name', 'tiny-gru', '--epochs', '2', '--units', '8', '--embedding-dim', '8', '--backend', 'wasm', '--json'),
    ) as { run: string; status: string; device: string };
    expect(gru).toMatchObject({ status: 'finished', device: expect.stringMatching(/wasm/) });

    for (const runId of [linear.run, gru.run]) {
      // One JSON line per text.
      const out = (await cli('classify', '--run', runId, '--json', ...texts)).trim().split('\n').map((l) => JSON.parse(l) as { text: string; label: string });
      expect(out.map((p) => p.text)).toEqual(texts);
      for (const p of out) expect(['negative', 'positive']).toContain(p.label);
    }
    await cli('export', linear.run, '--out', path.join(tmp, 'bundle-linear'), '--json');
    await cli('export', gru.run, '--out', path.join(tmp, 'bundle-gru'), '--json');
    expect(fs.existsSync(path.join(tmp, 'bundle-gru/manifest.json'))).toBe(true);
  }, 600_000);

  it('packs a library that classifies from a clean folder with production dependencies only', async () => {
    // --ignore-scripts: npm pack would run `prepare` (vite and the build) on the repository; the build is fresh here.
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: pkg, maxBuffer: 16 << 20 });
    const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const paths = packed!.files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['package.json', 'dist/cli.js', 'dist/library.js', 'dist/assets/rnn.wasm']));
    expect(paths.filter((p) => p.endsWith('.ts') || p.startsWith('main/') || p.startsWith('tests/'))).toEqual([]);

    const app = path.join(tmp, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'uses-textbench', private: true, type: 'module' }));
    // Production dependencies only. --ignore-scripts also leaves better-sqlite3 unbuilt: the library must not need it.
    await run('npm', ['install', '--omit=dev', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', path.join(tmp, packed!.filename)], {
      cwd: app,
      maxBuffer: 16 << 20,
    });
    expect(fs.existsSync(path.join(app, 'node_modules/tsx'))).toBe(false);
    expect(fs.existsSync(path.join(app, 'node_modules/vitest'))).toBe(false);

    fs.writeFileSync(
      path.join(app, 'classify.mjs'),
      `import { loadBundle } from 'textbench';
const out = {};
for (const dir of process.argv.slice(3)) {
  const model = await loadBundle(dir);
  out[dir] = { labels: model.labels, preds: await model.classify(JSON.parse(process.argv[2])) };
  model.dispose();
}
process.stdout.write(JSON.stringify(out));
`,
    );
    const bundles = [path.join(tmp, 'bundle-linear'), path.join(tmp, 'bundle-gru')];
    const { stdout: res } = await run(process.execPath, ['classify.mjs', JSON.stringify(texts), ...bundles], { cwd: app, maxBuffer: 16 << 20 });
    const got = JSON.parse(res) as Record<string, { labels: string[]; preds: Array<{ label: string; probability: number }> }>;
    for (const b of bundles) {
      expect(got[b]!.preds).toHaveLength(texts.length);
      for (const p of got[b]!.preds) {
        expect(got[b]!.labels).toContain(p.label);
        expect(p.probability).toBeGreaterThan(0);
      }
    }
  }, 600_000);
});
