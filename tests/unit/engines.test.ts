// package.json states the Node versions each use needs (issue 14 item 8), and they must stay true as dependencies
// change: every installed package's own `engines.node` must accept every Node that `engines.node` (the checkout:
// npm ci, the CLI, the tests, the browser app) admits, except Electron's tooling, which must accept every Node that
// `desktopEngines.node` (the desktop app from a checkout, and the installers) admits.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);
const semver = require('semver') as { subset(a: string, b: string): boolean; satisfies(v: string, r: string): boolean };
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  engines: { node: string };
  desktopEngines: { node: string };
  scripts: Record<string, string>;
};
const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { engines?: { node?: string } }> };

/** Electron's download and rebuild tooling: used only to start the desktop app or build installers. */
const ELECTRON_TOOLING = /^node_modules\/(electron|@electron\/[^/]+|@electron-internal\/[^/]+|@electron\/rebuild\/node_modules\/.+|node-abi)$/;

/** Installed packages (optional ones for other platforms are in the lock but not on disk) with an engines.node. */
function installed(): Array<{ name: string; range: string }> {
  const out: Array<{ name: string; range: string }> = [];
  for (const [key, entry] of Object.entries(lock.packages)) {
    const range = entry.engines?.node;
    if (!key || !range || !fs.existsSync(path.join(root, key, 'package.json'))) continue;
    // The installed copy's engines (the lock can lag behind for nested copies).
    const own = (JSON.parse(fs.readFileSync(path.join(root, key, 'package.json'), 'utf8')) as { engines?: { node?: string } }).engines?.node ?? range;
    out.push({ name: key, range: own });
  }
  return out;
}

describe('engines', () => {
  it('every dependency accepts every Node that engines.node admits; Electron tooling every Node that desktopEngines.node admits', () => {
    const all = installed();
    expect(all.length).toBeGreaterThan(50);
    const tooNarrow = all.filter((p) => !ELECTRON_TOOLING.test(p.name) && !semver.subset(pkg.engines.node, p.range));
    expect(tooNarrow).toEqual([]);
    const tooling = all.filter((p) => ELECTRON_TOOLING.test(p.name));
    expect(tooling.map((p) => p.name)).toContain('node_modules/@electron/rebuild');
    expect(tooling.filter((p) => !semver.subset(pkg.desktopEngines.node, p.range))).toEqual([]);
  });

  it('the stated ranges are as narrow as the dependencies make them: the lowest admitted Node is one some dependency needs', () => {
    // Not ">= 20" written out of habit: the lowest version engines.node admits is the lowest some dependency admits.
    const lowest = (range: string) => (/(\d+\.\d+\.\d+)/.exec(range) ?? [])[1]!;
    const all = installed();
    const low = lowest(pkg.engines.node);
    expect(all.some((p) => !ELECTRON_TOOLING.test(p.name) && lowest(p.range) === low)).toBe(true);
    expect(all.some((p) => ELECTRON_TOOLING.test(p.name) && lowest(p.range) === lowest(pkg.desktopEngines.node))).toBe(true);
    // This Node runs the tests, so it is inside engines.node.
    expect(semver.satisfies(process.versions.node, pkg.engines.node)).toBe(true);
  });

  it('building installers checks the desktop Node first', () => {
    expect(pkg.scripts.dist).toMatch(/^node tools\/check-node\.mjs desktop /);
  });
});
