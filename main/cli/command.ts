import type { ParseArgsConfig } from 'node:util';
import type { Workbench } from '../engine/workbench.ts';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface CommandIo {
  /** Machine-readable output goes here and only here. */
  out(line: string): void;
  /** Progress and human messages; never mixed into --json output. */
  err(line: string): void;
}

export interface CommandContext {
  values: Record<string, string | boolean | Array<string | boolean> | undefined>;
  positionals: string[];
  json: boolean;
  io: CommandIo;
  /** Opens the workspace named by --workspace / TEXTBENCH_WORKSPACE / the default, once. */
  workbench(): Workbench;
}

export interface Command {
  name: string;
  summary: string;
  /** Usage lines after `textbench NAME`, and a description of every option. */
  usage: string;
  options: OptionSpec;
  /** Returns the exit code (0 on success). Throw TextbenchError for errors meant for the user. */
  run(ctx: CommandContext): Promise<number>;
}

export const COMMON_OPTIONS: OptionSpec = {
  workspace: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
};

export const COMMON_USAGE = `
Common options (also accepted before the command: textbench --workspace DIR --json COMMAND …):
  --workspace DIR   workspace folder (default: $TEXTBENCH_WORKSPACE or the per-user app data folder)
  --json            print machine-readable JSON on stdout (messages go to stderr)
  -h, --help        show this help`;

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function num(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isFinite(n)) {
    throw new Error(`--${name} expects a number, got "${String(v)}".`);
  }
  return n;
}
