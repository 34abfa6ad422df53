// Run by surveyAdapters() (adapters.ts) in a child process: `node survey-child.mjs`. Lists the WebGPU adapters
// that Dawn (the optional npm package `webgpu`) finds and prints one JSON line: { adapters: [...] } or { error }.
// A child process, because a GPU driver that crashes while being enumerated must not take the training worker
// (or the desktop app) down with it, and because Dawn prints its driver warnings straight to stderr, where the
// parent collects them as the reason when no adapter is found instead of letting them reach the person's terminal.
// Plain JavaScript (no TypeScript loader to start first): the survey runs before every automatic backend choice.
const out = (value) => process.stdout.write(JSON.stringify(value) + '\n');

let webgpu;
try {
  webgpu = await import('webgpu');
} catch (err) {
  out({ error: `the webgpu package does not load: ${String(err?.message ?? err).split('\n')[0]}` });
  process.exit(0);
}

const gpu = webgpu.create([]);
const adapters = [];
const seen = new Set();
for (const [preference, options] of [
  ['high-performance', { powerPreference: 'high-performance' }],
  ['low-power', { powerPreference: 'low-power' }],
  ['fallback', { forceFallbackAdapter: true }],
]) {
  let adapter = null;
  try {
    adapter = await gpu.requestAdapter(options);
  } catch (err) {
    process.stderr.write(`requestAdapter(${JSON.stringify(options)}) failed: ${String(err?.message ?? err)}\n`);
  }
  if (!adapter) continue;
  const info = adapter.info ?? {};
  const entry = {
    preference,
    vendor: String(info.vendor ?? ''),
    architecture: String(info.architecture ?? ''),
    device: String(info.device ?? ''),
    description: String(info.description ?? ''),
    fallback: info.isFallbackAdapter === true || adapter.isFallbackAdapter === true,
    maxBufferSize: Number(adapter.limits?.maxBufferSize ?? 0),
    maxStorageBufferBindingSize: Number(adapter.limits?.maxStorageBufferBindingSize ?? 0),
  };
  const key = [entry.vendor, entry.architecture, entry.device, entry.description].join('|');
  if (seen.has(key)) continue;
  seen.add(key);
  adapters.push(entry);
}
out({ adapters });
// Dawn keeps threads alive; the answer is out, so leave without waiting for them.
process.exit(0);
