// How training progress and leaderboards look on a terminal: shared by `train`, `compare` and `train --model auto`.
import type { WorkbenchEvent } from '../../shared/events.ts';
import type { LeaderboardEntry } from '../../shared/doctor.ts';

export const f3 = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(3));

/** One line per event for a person watching the run on stderr. */
export function progressLine(e: WorkbenchEvent, epochs: number | null): string | null {
  switch (e.type) {
    case 'training.epoch': {
      const m = e.metrics;
      const eta = e.etaSeconds ? `, ~${Math.round(e.etaSeconds)}s left at most` : '';
      return `epoch ${m.epoch}${epochs ? `/${epochs}` : ''}: loss ${f3(m.trainLoss)} acc ${f3(m.trainAccuracy)} | validation loss ${f3(m.validationLoss)} acc ${f3(m.validationAccuracy)} macro-F1 ${f3(m.validationMacroF1)} | lr ${m.learningRate} | ${m.seconds.toFixed(1)}s, ${Math.round(m.samplesPerSecond)} samples/s${eta}`;
    }
    case 'training.finding':
      return `finding (${e.finding.severity}, ${e.finding.kind}): ${e.finding.message}${e.finding.fix ? ` Fix: ${e.finding.fix}` : ''}`;
    case 'training.action':
      return `action at epoch ${e.action.epoch}: ${e.action.kind} ${JSON.stringify(e.action.before)} -> ${JSON.stringify(e.action.after)}${e.action.reason ? ` (${e.action.reason})` : ''}`;
    case 'run.failed':
      return `run failed: ${e.error}`;
    default:
      return null;
  }
}

const cell = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(3));

function findingsCell(r: LeaderboardEntry): string {
  if (r.error) return `failed: ${r.error}`;
  const counts = new Map<string, number>();
  for (const f of r.findings) counts.set(f.kind, (counts.get(f.kind) ?? 0) + 1);
  return [...counts.entries()].map(([k, n]) => (n > 1 ? `${k}×${n}` : k)).join(', ') || '-';
}

/** The leaderboard as an aligned text table. */
export function leaderboardTable(rows: readonly LeaderboardEntry[], first: 'test' | 'validation' = 'test'): string[] {
  const head = ['#', 'name', 'kind', first === 'test' ? 'test acc' : 'val acc', first === 'test' ? 'test F1' : 'val F1', first === 'test' ? 'val F1' : 'test F1', 'epochs', 'time s', 'samples/s', 'backend', 'doctor findings'];
  const body = rows.map((r, i) => [
    String(i + 1),
    r.name,
    r.kind,
    cell(first === 'test' ? r.test?.accuracy : r.validation?.accuracy),
    cell(first === 'test' ? r.test?.macroF1 : r.validation?.macroF1),
    cell(first === 'test' ? r.validation?.macroF1 : r.test?.macroF1),
    String(r.epochs),
    r.seconds.toFixed(0),
    r.samplesPerSecond === null ? '-' : String(r.samplesPerSecond),
    r.backend ?? '-',
    r.status === 'finished' ? findingsCell(r) : `${r.status}${r.error ? `: ${r.error}` : ''}${r.findings.length ? `; ${findingsCell(r)}` : ''}`,
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((row) => row[c]!.length)));
  const fmt = (row: string[]) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...body.map(fmt)];
}
