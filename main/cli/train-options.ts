// The training options on the command line: flags, parsing and help of `train`, `lr-find`, `compare` and
// `train --model auto`, all derived from the one table of options in shared/train-options.ts.
import type { CommandContext, OptionSpec } from './command.ts';
import { TextbenchError } from '../engine/errors.ts';
import { checkTrainOptions, optionFlags, optionFromFlag, optionHelp, TRAIN_FIELDS, type OptionCommand, type OptionProblem, type TrainField } from '../../shared/train-options.ts';
import type { TrainOptions } from '../../shared/training.ts';

/** The parseArgs table of a command's training flags. */
export function trainFlags(command: OptionCommand): OptionSpec {
  return Object.fromEntries(optionFlags(command).map((f) => [f.flag, { type: f.takesValue ? 'string' : 'boolean' }]));
}

/** The "Options:" help lines of a command's training flags, then its own (`extra`: [flag, help]). */
export function trainFlagHelp(command: OptionCommand, extra: ReadonlyArray<readonly [string, string]> = [], omit: readonly TrainField[] = []): string {
  return optionHelp(command, omit, extra).join('\n');
}

function flagError(p: OptionProblem): TextbenchError {
  const cli = (TRAIN_FIELDS as Record<string, { cli: { flag: string } | null } | undefined>)[p.field]?.cli;
  const message = cli && !p.message.startsWith('--') ? `--${cli.flag}: ${p.message}` : p.message;
  return new TextbenchError(`${message}.`, 'BAD_OPTION', { field: p.field });
}

/** The training options a command's flags ask for, each checked against its limits; unset flags stay undefined. */
export function trainOptionsFromArgs(values: CommandContext['values'], command: OptionCommand): TrainOptions {
  const options: Record<string, unknown> = {};
  for (const { field, flag } of optionFlags(command)) {
    const raw = values[flag];
    const read = optionFromFlag(field, Array.isArray(raw) ? raw[raw.length - 1] : raw);
    if (!read.ok) throw flagError(read.problem);
    if (read.value !== undefined) options[field] = read.value;
  }
  const checked = checkTrainOptions(options);
  if (!checked.ok) throw flagError(checked.problem);
  return checked.value;
}
