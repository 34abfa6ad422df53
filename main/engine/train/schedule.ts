// Learning-rate schedules: the factor the loop multiplies the run's learning rate by at each optimizer step.
// The run's learning rate stays the peak (what the epochs record, what the doctor raises or lowers); the schedule
// shapes each step's rate around it, so a doctor's change moves the whole remaining schedule.

import type { LR_SCHEDULES } from '../../../shared/train-options.ts';

export type LrSchedule = (typeof LR_SCHEDULES)[number];

/**
 * Warm-up length in steps: one epoch, but at most a tenth of the run. Adam's second-moment estimates are poor in the
 * first few hundred steps and a recurrent net's first large steps can saturate its gates; a linear ramp avoids both
 * (Liu et al. 2020, "On the variance of the adaptive learning rate and beyond"). One epoch on small data is only
 * a few dozen steps; on large data a tenth of the run bounds it.
 */
export function warmupSteps(stepsPerEpoch: number, totalSteps: number): number {
  return Math.max(1, Math.min(stepsPerEpoch, Math.ceil(totalSteps / 10)));
}

/**
 * The factor at optimizer step `step` (0-based) of `totalSteps`: linear warm-up from 1/warmup to 1, then a cosine
 * from 1 down to 0 at the last step (Loshchilov & Hutter 2017, without restarts). Early stopping usually ends a
 * run before the end; the decay still anneals the steps near the best epoch.
 */
export function lrFactor(schedule: LrSchedule, step: number, stepsPerEpoch: number, totalSteps: number): number {
  if (schedule === 'constant') return 1;
  const warm = warmupSteps(stepsPerEpoch, totalSteps);
  if (step < warm) return (step + 1) / warm;
  const span = Math.max(1, totalSteps - warm);
  const t = Math.min(1, (step - warm) / span);
  return 0.5 * (1 + Math.cos(Math.PI * t));
}
