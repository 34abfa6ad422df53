// The training options are stated once (shared/train-options.ts): the API schema, the engine's resolveConfig
// and the command line must accept and refuse exactly the same values, and every option has its flag and help.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { TrainSettingsSchema, API } from '../../shared/api.ts';
import { TRAIN_FIELDS, fieldsFor, type TrainField, type TrainOptions, type TrainingConfig } from '../../shared/train-options.ts';
import { resolveConfig } from '../../main/engine/train/config.ts';
import { trainOptionsFromArgs } from '../../main/cli/train-options.ts';
import { TextbenchError } from '../../main/engine/errors.ts';
import { runCli } from '../fixtures/mini-workspace.ts';

const PROBES = [-1, 0, 0.005, 0.01, 0.5, 0.95, 0.96, 0.99, 1, 1.5, 2, 8, 9, 10, 10.5, 1000, 1001, 4096, 4097, 10_000, 10_001, 65_536, 65_537, 100_000, 100_001, 1e6, 2e6, 2 ** 31 - 1, 2 ** 31];

function engineAccepts(field: TrainField, value: unknown): boolean {
  try {
    // A recurrent model, so that every field (tokens, units, layers…) applies.
    resolveConfig({ model: 'gru', [field]: value } as TrainOptions);
    return true;
  } catch (err) {
    expect(err).toBeInstanceOf(TextbenchError);
    expect((err as TextbenchError).details.field).toBe(field);
    expect((err as Error).message).toContain(field);
    return false;
  }
}

function cliAccepts(field: TrainField, value: unknown): boolean {
  const flag = TRAIN_FIELDS[field].cli!.flag;
  try {
    trainOptionsFromArgs({ [flag]: String(value) }, 'train');
    return true;
  } catch (err) {
    expect((err as Error).message).toContain(`--${flag}`);
    return false;
  }
}

const numeric = (Object.keys(TRAIN_FIELDS) as TrainField[]).filter((f) => TRAIN_FIELDS[f].flagKind.kind === 'number');

describe('training options, stated once', () => {
  it('the API, the engine and the command line draw every numeric limit at the same place', () => {
    expect(numeric.length).toBeGreaterThan(15);
    for (const field of numeric) {
      for (const v of PROBES) {
        const api = TrainSettingsSchema.safeParse({ project: 'p', [field]: v }).success;
        // `--clip 0` means "off" on the command line, as null does in the API.
        if (field === 'clipNorm' && v === 0) continue;
        expect(engineAccepts(field, v), `${field} = ${v}: engine vs API`).toBe(api);
        expect(cliAccepts(field, v), `${field} = ${v}: command line vs API`).toBe(api);
      }
    }
  });

  it('the limits the issue found disagreeing are now one each', () => {
    const ok = (o: Record<string, unknown>) => TrainSettingsSchema.safeParse({ project: 'p', ...o }).success;
    expect(ok({ epochs: 5000 })).toBe(true);
    expect(ok({ learningRate: 50 })).toBe(false);
    expect(ok({ patience: 0 })).toBe(false);
    expect(ok({ seed: -5 })).toBe(false);
    expect(() => resolveConfig({ model: 'gru', patience: 0 })).toThrow(/patience: expected a whole number from 1 to 1000, got 0/);
  });

  it('reads flags into options: aliases, switches and "0 = off"', () => {
    const o = trainOptionsFromArgs({ loss: 'ce', clip: '0', 'no-repair': true, 'keep-case': true, 'freeze-vectors': true, model: 'gru', 'batch-size': '8' }, 'train');
    expect(o).toEqual({ loss: 'crossentropy', clipNorm: null, repair: false, lowercase: false, freezeVectors: true, model: 'gru', batchSize: 8 });
    expect(() => trainOptionsFromArgs({ lr: 'fast' }, 'train')).toThrow('--lr expects a number, got "fast"');
    expect(() => trainOptionsFromArgs({ optimizer: 'adagrad' }, 'train')).toThrow(/--optimizer expects one of adam, rmsprop, sgd; got "adagrad"/);
  });

  it('each command takes what it uses, and lists every flag it takes in its help', async () => {
    expect(fieldsFor('lr-find')).toEqual(expect.arrayContaining(['model', 'recipe', 'l2', 'vectors', 'batchSize', 'validationFraction']));
    expect(fieldsFor('lr-find')).not.toContain('learningRate');
    expect(fieldsFor('compare')).not.toContain('model');
    expect(fieldsFor('auto')).toEqual(['project', 'seed', 'backend', 'threads']);
    // The API's lr-find request takes the same fields as the command (plus its own).
    const lrFindKeys = Object.keys((API['training.lrFind'].input as unknown as { shape: Record<string, unknown> }).shape).sort();
    expect(lrFindKeys).toEqual([...fieldsFor('lr-find'), 'steps'].sort());
    for (const command of ['train', 'lr-find', 'compare'] as const) {
      const r = await runCli([command, '--help']);
      expect(r.code).toBe(0);
      const help = r.out.join('\n');
      for (const f of fieldsFor(command)) expect(help, `${command} --help names --${TRAIN_FIELDS[f].cli!.flag}`).toContain(`--${TRAIN_FIELDS[f].cli!.flag}`);
    }
  });

  it('derives the types: options are optional, the config is resolved', () => {
    expectTypeOf<TrainingConfig['l2']>().toEqualTypeOf<number | null>();
    expectTypeOf<TrainingConfig['tokens']>().toEqualTypeOf<'words' | 'chars' | 'ngrams'>();
    expectTypeOf<TrainingConfig['recipe']>().toEqualTypeOf<string | null>();
    expectTypeOf<TrainingConfig['epochs']>().toEqualTypeOf<number | null>();
    expectTypeOf<TrainOptions['clipNorm']>().toEqualTypeOf<number | null | undefined>();
    expectTypeOf<TrainOptions['model']>().toEqualTypeOf<'linear' | 'baseline' | 'lstm' | 'gru' | 'bilstm' | 'bigru' | 'ensemble' | undefined>();
    expectTypeOf<keyof TrainingConfig>().toEqualTypeOf<Exclude<keyof TrainOptions, 'project' | 'name'>>();
  });
});
