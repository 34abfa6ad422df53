// Global options before or after the command: `textbench --workspace DIR --json review` and
// `textbench review --workspace DIR --json` are the same call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liftGlobalOptions } from '../../main/cli/globals.ts';
import { miniUciWorkspace, runCli, type MiniWorkspace } from '../fixtures/mini-workspace.ts';

let mini: MiniWorkspace;

beforeAll(async () => {
  mini = await miniUciWorkspace('textbench-cli-globals-', { train: 40, test: 10 });
});
afterAll(() => mini.cleanup());

describe('global options anywhere', () => {
  it('lifts the options in front of the command behind its own arguments', () => {
    expect(liftGlobalOptions(['--workspace', '/w', 'import', 'a.csv', '--label', 'y'])).toEqual({ command: 'import', args: ['a.csv', '--label', 'y', '--workspace', '/w'] });
    expect(liftGlobalOptions(['--json', '--workspace=/w', '--project', 'p', 'review'])).toEqual({ command: 'review', args: ['--json', '--workspace=/w', '--project', 'p'] });
    expect(liftGlobalOptions(['review', '--json'])).toEqual({ command: 'review', args: ['--json'] });
    expect(liftGlobalOptions(['--workspace'])).toMatchObject({ command: undefined, missingValue: '--workspace' });
    expect(liftGlobalOptions(['--workspace', '--json', 'review'])).toMatchObject({ missingValue: '--workspace' });
    expect(liftGlobalOptions([])).toEqual({ command: undefined, args: [] });
  });

  it('gives the same answer with the options before or after the command', async () => {
    const before = await runCli(['--workspace', mini.ws, '--json', 'review', '--project', 'mini']);
    const after = await runCli(['review', '--project', 'mini', '--workspace', mini.ws, '--json']);
    const mixed = await runCli(['--workspace', mini.ws, '--project', 'mini', 'examples', '--limit', '3', '--json']);
    expect(before.code, before.err.join('\n')).toBe(0);
    expect(after.code).toBe(0);
    expect(JSON.parse(before.out.join('\n'))).toEqual(JSON.parse(after.out.join('\n')));
    expect(JSON.parse(before.out.join('\n')).total).toBe(50);
    expect(mixed.code, mixed.err.join('\n')).toBe(0);
    expect(JSON.parse(mixed.out.join('\n')).rows).toHaveLength(3);
  });

  it('says what is wrong with a global option that lacks its value, or that a command does not take', async () => {
    const missing = await runCli(['--workspace']);
    expect(missing.code).toBe(2);
    expect(missing.err.join('\n')).toMatch(/--workspace needs a value/);
    const notTaken = await runCli(['--project', 'mini', '--workspace', mini.ws, 'doctor']);
    expect(notTaken.code).toBe(2);
    expect(notTaken.err.join('\n')).toMatch(/textbench doctor: .*--project/);
  });
});
