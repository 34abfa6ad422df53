// Global options may come before the command, as many tools accept them: `textbench --workspace DIR import FILE`
// means `textbench import FILE --workspace DIR`. They are lifted from in front of the command name and handed to the
// command after its own arguments, where its option parser reads them as it always did.

/** Options every command understands, with whether each takes a value. */
export const GLOBAL_OPTIONS: Readonly<Record<string, { value: boolean }>> = {
  '--workspace': { value: true },
  '--project': { value: true },
  '--json': { value: false },
};

export interface SplitArgs {
  /** The command name, or undefined when none was given (only global options, or nothing). */
  command: string | undefined;
  /** The command's own arguments followed by the global options that preceded the command. */
  args: string[];
  /** A global option before the command that is missing its value, e.g. `textbench --workspace`. */
  missingValue?: string;
}

export function liftGlobalOptions(argv: readonly string[]): SplitArgs {
  const lifted: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg] : [arg, null];
    const spec = GLOBAL_OPTIONS[flag];
    if (!spec) break;
    if (!spec.value || inline !== null) {
      lifted.push(arg);
      i += 1;
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('--')) return { command: undefined, args: [], missingValue: flag };
    lifted.push(flag, value);
    i += 2;
  }
  const command = argv[i];
  return { command, args: [...argv.slice(i + 1), ...lifted] };
}
