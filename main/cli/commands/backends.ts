import type { Command } from '../command.ts';
import { probeBackends, type BackendProbe, type ProbeReport } from '../../engine/compute/probe.ts';
import { adapterLabel } from '../../engine/compute/webgpu/adapters.ts';

function describe(b: BackendProbe): string {
  if (!b.loads) return b.reason ?? 'does not load';
  const parts = [...(b.device?.startsWith('GPU') ? [b.device] : []), b.version ?? 'loads', ...(b.notes ?? [])];
  if (b.kernels?.length) parts.push(`kernels added by Textbench: ${b.kernels.join(', ')}`);
  if (b.automatic === false) parts.push(`not chosen automatically: ${b.notAutomatic}`);
  return parts.join('; ');
}

/** One line per WebGPU adapter: what it is and whether it is a real GPU. */
function adapterLines(b: BackendProbe, indent: string): string[] {
  return (b.adapters ?? []).map(
    (a) =>
      `${indent}adapter ${adapterLabel(a)} (vendor ${a.vendor || '?'}, architecture ${a.architecture || '?'})` +
      (a.software ? `: software, ${a.softwareReason}` : ': hardware'),
  );
}

/** The report as lines for a person. */
export function formatReport(report: ProbeReport): string[] {
  const width = Math.max(...report.backends.map((b) => b.name.length));
  const status = (b: BackendProbe) => (!b.loads ? 'missing' : b.automatic === false ? 'manual ' : 'loads  ');
  return [
    `TensorFlow.js backends on this machine (Node ${report.node}, ${report.platform}), best first:`,
    ...report.backends.flatMap((b) => [`  ${b.name.padEnd(width)}  ${status(b)}  ${describe(b)}`, ...adapterLines(b, ' '.repeat(width + 13))]),
    report.chosen
      ? `Training uses ${report.chosen}${report.device ? ` (${report.device})` : ''}, the first that loads and may be chosen automatically; choose another with --backend NAME.`
      : 'No backend loads here: reinstall Textbench (npm install) and run `textbench backends` again.',
  ];
}

export const command: Command = {
  name: 'backends',
  summary: 'show which TensorFlow.js backends load on this machine and why the others do not',
  usage: `[--json]

Tries each backend (webgpu, tensorflow-gpu, tensorflow, wasm, cpu) in its own process, trains one tiny
step on each that loads, lists the WebGPU adapters (a software one, such as SwiftShader, is used only
with --backend webgpu) and prints which one training would use. Exit code 1 when none loads.`,
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
