import type { Command } from '../command.ts';
import { probeBackends, type BackendProbe, type ProbeReport } from '../../engine/compute/probe.ts';

function describe(b: BackendProbe): string {
  if (!b.loads) return b.reason ?? 'does not load';
  const parts = [b.version ?? 'loads', ...(b.notes ?? [])];
  if (b.kernels?.length) parts.push(`kernels added by Textbench: ${b.kernels.join(', ')}`);
  return parts.join('; ');
}

/** The report as lines for a person. */
export function formatReport(report: ProbeReport): string[] {
  const width = Math.max(...report.backends.map((b) => b.name.length));
  return [
    `TensorFlow.js backends on this machine (Node ${report.node}, ${report.platform}), best first:`,
    ...report.backends.map((b) => `  ${b.name.padEnd(width)}  ${b.loads ? 'loads  ' : 'missing'}  ${describe(b)}`),
    report.chosen
      ? `Training uses ${report.chosen} (the first that loads); choose another with --backend NAME.`
      : 'No backend loads here: reinstall Textbench (npm install) and run `textbench backends` again.',
  ];
}

export const command: Command = {
  name: 'backends',
  summary: 'show which TensorFlow.js backends load on this machine and why the others do not',
  usage: `[--json]

Tries each backend (tensorflow-gpu, tensorflow, wasm, cpu) in its own process, trains one tiny step
on each that loads, and prints which one training would use. Exit code 1 when none loads.`,
  options: {},
  async run(ctx) {
    ctx.io.err('Checking TensorFlow.js backends (a few seconds)…');
    const report = await probeBackends();
    if (ctx.json) {
      ctx.io.out(JSON.stringify(report));
    } else {
      for (const line of formatReport(report)) ctx.io.out(line);
    }
    return report.chosen ? 0 : 1;
  },
};
