import { parseArgs } from 'node:util';
import { COMMANDS } from './commands/index.ts';
import { COMMON_OPTIONS, COMMON_USAGE, str, type CommandContext, type CommandIo } from './command.ts';
import type { Workbench } from '../engine/workbench.ts';
import { explainBusy, isTextbenchError } from '../engine/errors.ts';
import { liftGlobalOptions } from './globals.ts';
import { ProgressBars } from './progress.ts';

const defaultIo: CommandIo = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
};

// `textbench examples | head` closes stdout early: that is the reader's choice, not an error to report.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

function topHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`);
  return `textbench: a workbench for text classification\n\nUsage: textbench [--workspace DIR] [--project NAME] [--json] COMMAND [options]   (textbench COMMAND --help for details)\n\nCommands:\n${lines.join('\n')}\n`;
}

/** Runs one CLI invocation and returns its exit code. Errors become one line on stderr. */
export async function main(argv: string[], io: CommandIo = defaultIo): Promise<number> {
  const { command: name, args: rest, missingValue } = liftGlobalOptions(argv);
  if (missingValue) {
    io.err(`textbench: ${missingValue} needs a value, e.g. ${missingValue} ${missingValue === '--workspace' ? 'DIR' : 'NAME'}.`);
    return 2;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(topHelp());
    return name ? 0 : 1;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    io.err(`textbench: unknown command "${name}". Run \`textbench --help\` for the list.`);
    return 2;
  }
  let wb: Workbench | undefined;
  let bars: ProgressBars | null = null;
  try {
    const { command } = await entry.load();
    const options = { ...COMMON_OPTIONS, ...command.options };
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
    } catch (err) {
      io.err(`textbench ${name}: ${(err as Error).message}. Run \`textbench ${name} --help\`.`);
      return 2;
    }
    if (parsed.values.help) {
      io.out(`textbench ${name}: ${command.summary}\n\nUsage: textbench ${name} ${command.usage}\n${COMMON_USAGE}`);
      return 0;
    }
    // Loaded here, not at the top: `textbench --help` and `textbench COMMAND --help` never load the engine.
    const { Workbench } = await import('../engine/workbench.ts');
    // Progress bars on a terminal only: pipes, CI and tests get the commands' own lines and nothing else.
    bars = io === defaultIo && process.stderr.isTTY && !process.env.CI ? new ProgressBars(process.stderr) : null;
    const shown = bars;
    const ctx: CommandContext = {
      values: parsed.values,
      positionals: parsed.positionals,
      json: parsed.values.json === true,
      io: shown ? { out: (l) => (process.stdout.isTTY ? shown.above(() => io.out(l)) : io.out(l)), err: (l) => shown.log(l) } : io,
      workbench: () => {
        if (!wb) {
          wb = Workbench.open({ workspace: str(parsed.values.workspace) });
          if (shown) wb.onEvent((e) => shown.onEvent(e));
        }
        return wb;
      },
    };
    return await command.run(ctx);
  } catch (caught) {
    // "database is locked" after waiting out another process: say what it means and what to do.
    const err = explainBusy(caught, wb?.dir) ?? caught;
    const msg = err instanceof Error ? err.message : String(err);
    io.err(`textbench ${name}: ${msg}`);
    if (process.env.TEXTBENCH_DEBUG && err instanceof Error && !isTextbenchError(err)) io.err(err.stack ?? '');
    return 1;
  } finally {
    bars?.close();
    await wb?.close();
  }
}
