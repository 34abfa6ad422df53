import fs from 'node:fs';
import path from 'node:path';
import type { Command } from '../command.ts';
import { num } from '../command.ts';
import { startServer, DEFAULT_STATIC_DIR, DEFAULT_MAX_UPLOAD } from '../../server/server.ts';
import { openInBrowser } from '../../server/open-browser.ts';

function packageVersion(): string {
  const file = path.resolve(import.meta.dirname, '../../../package.json');
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
}

export const command: Command = {
  name: 'serve',
  summary: 'serve the app to a browser on 127.0.0.1 (token-protected)',
  usage: `[--port N] [--open] [--max-upload-mb N]

Serves the Textbench app and its API on http://127.0.0.1 only. The printed URL carries a random token;
requests without it are refused, as are requests for another host name or from another site.
  --port N            port to listen on (default: a free one)
  --open              open the URL in the default browser
  --max-upload-mb N   largest file the browser may upload for import (default ${DEFAULT_MAX_UPLOAD / 1024 / 1024})
Stop with Ctrl+C.`,
  options: { port: { type: 'string' }, open: { type: 'boolean', default: false }, 'max-upload-mb': { type: 'string' } },
  async run(ctx) {
    const wb = ctx.workbench();
    const port = num(ctx.values.port, 'port') ?? 0;
    const mb = num(ctx.values['max-upload-mb'], 'max-upload-mb');
    if (!fs.existsSync(path.join(DEFAULT_STATIC_DIR, 'index.html'))) {
      ctx.io.err(`textbench serve: the renderer is not built (${DEFAULT_STATIC_DIR} is missing); run \`npm run prepare\` first. The API still works.`);
    }
    const server = await startServer({
      workbench: wb,
      port,
      version: packageVersion(),
      maxUploadBytes: mb === undefined ? undefined : Math.round(mb * 1024 * 1024),
      log: (line) => ctx.io.err(line),
    });
    if (ctx.json) ctx.io.out(JSON.stringify({ url: server.url, port: server.port, workspace: wb.dir }));
    else {
      ctx.io.out(`Textbench is running at ${server.url}`);
      ctx.io.err(`Workspace: ${wb.dir}. Stop with Ctrl+C.`);
    }
    if (ctx.values.open && !(await openInBrowser(server.url))) {
      ctx.io.err('Could not open a browser here; open the URL above yourself.');
    }
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    ctx.io.err('Stopping.');
    await server.close();
    return 0;
  },
};
