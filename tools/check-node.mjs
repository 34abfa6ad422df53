#!/usr/bin/env node
// `node tools/check-node.mjs desktop "what needs it"`: exits with a clear message when this Node is older than the
// range package.json's `desktopEngines.node` states. Electron's own tooling (electron's download, @electron/get,
// @electron/rebuild, electron-builder's rebuild) declares Node >= 22.12, while the CLI, the tests and the browser app
// run on the older Nodes in `engines.node`: only what builds or starts the desktop app checks the higher one.
import fs from 'node:fs';
import path from 'node:path';

const pkg = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '..', 'package.json'), 'utf8'));

/** '>=22.12.0' -> [22, 12, 0]; only the ">=x.y.z" form is used for desktopEngines. */
export function minimum(range) {
  const m = /^>=\s*(\d+)\.(\d+)\.(\d+)$/.exec(range.trim());
  if (!m) throw new Error(`check-node: desktopEngines.node must be ">=x.y.z", not ${JSON.stringify(range)}`);
  return m.slice(1).map(Number);
}

export function atLeast(version, min) {
  const v = version.replace(/^v/, '').split('.').map(Number);
  for (let i = 0; i < 3; i++) if (v[i] !== min[i]) return v[i] > min[i];
  return true;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const what = process.argv[3] ?? 'this step';
  const range = pkg.desktopEngines.node;
  if (!atLeast(process.version, minimum(range))) {
    console.error(`textbench: ${what} needs Node ${range} (Electron's tooling declares it); this is Node ${process.version}. Install a newer Node (e.g. 22 LTS) and run it again.`);
    process.exit(1);
  }
}
