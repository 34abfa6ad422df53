import type { DataSummary, DoctorVerdict, EpochStats, StepStats, TrainingDoctor } from './types.ts';
import type { Finding } from '../../../../shared/domain.ts';

export interface DoctorOptions {
  /** Carry out repairs automatically (on by default, switchable off per run). */
  repair: boolean;
}

/** Placeholder doctor that finds nothing; the doctor work replaces this with real detection and repair. */
export function createDoctor(_options: DoctorOptions): TrainingDoctor {
  return {
    beforeTraining(_data: DataSummary): Finding[] {
      return [];
    },
    onStep(_stats: StepStats): DoctorVerdict | null {
      return null;
    },
    onEpoch(_stats: EpochStats): DoctorVerdict {
      return { findings: [], decisions: [] };
    },
  };
}
