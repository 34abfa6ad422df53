// `npm start` on a machine without the Electron binary (like this one, offline): it must say what is missing
// and serve the same app to the browser instead, not crash.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const repoRoot = path.resolve(import.meta.dirname, '../..');

describe('npm start without Electron', () => {
  it('explains what is missing and serves the app on 127.0.0.1 instead', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-start-'));
    fs.mkdirSync(path.join(dir, 'no-electron'));
    const child = spawn(process.execPath, [path.join(repoRoot, 'main/app/start.mjs'), '--workspace', path.join(dir, 'ws')], {
      cwd: repoRoot,
      // An empty Electron dist folder and no download attempt: exactly the offline case, without the network.
      env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: path.join(dir, 'no-electron'), TEXTBENCH_NO_ELECTRON_DOWNLOAD: '1', TEXTBENCH_NO_OPEN: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await expect.poll(() => stdout, { timeout: 60_000 }).toMatch(/Textbench is running at http:\/\/127\.0\.0\.1:\d+\/\?token=/);
      expect(stderr).toMatch(/Electron binary is not installed/);
      expect(stderr).toMatch(/starting the same app in your browser/);
      const url = /(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(stdout)![1]!;
      expect((await fetch(url)).status).toBe(200);
      expect((await fetch(url.replace(/\?token=.*/, ''))).status).toBe(401);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(child.exitCode === 0 || child.signalCode !== null).toBe(true);
  });
});
