// Training throughput of the paper's MNIST conv model (32x32, batch 64) on each backend that
// loads here, as ratios to TensorFlow.js's stock kernels measured in the same run.
//
//   npm run bench:train [-- --steps N --json]
//
// Each variant runs in its own process (bench/train-variant.ts). The stock baseline runs a
// smaller batch and fewer steps because it is two orders of magnitude slower; samples/s is
// per-sample throughput either way.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface Measurement {
  variant: string;
  samplesPerSecond: number;
  engine: string;
  threads: number;
  batch: number;
  steps: number;
}

const { values } = parseArgs({ options: { steps: { type: 'string', default: '20' }, json: { type: 'boolean', default: false } } });
const steps = Number(values.steps);
if (!Number.isSafeInteger(steps) || steps < 1) throw new Error(`--steps: expected a positive integer, got '${values.steps}'`);
const cores = availableParallelism();
const variantScript = fileURLToPath(new URL('./train-variant.ts', import.meta.url));

function measure(variant: string, threads: number, batch: number, variantSteps: number): Measurement | { variant: string; error: string } {
  const args = ['--import', 'tsx', variantScript, '--variant', variant, '--threads', String(threads), '--batch', String(batch), '--steps', String(variantSteps)];
  const run = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const line = run.stdout.trim().split('\n').filter((l) => l.startsWith('{')).at(-1);
  if (run.status !== 0 || !line) {
    // The thrown error's own line, e.g. "BackendSelectionError: backend 'tensorflow' needs …".
    const reason = run.stderr.split('\n').find((l) => /^\w*Error: /.test(l.trim()))?.trim() ?? `exit ${run.status}`;
    return { variant, error: reason.slice(0, 300) };
  }
  return JSON.parse(line) as Measurement;
}

const label = (m: { variant: string; threads?: number }) => `${m.variant}${m.threads && m.threads > 1 ? ` x${m.threads} threads` : ''}`;
const log = (line: string) => (values.json ? process.stderr : process.stdout).write(`${line}\n`);

log(`bench:train — mnist conv model, 32x32, ${cores} core(s); measuring the stock baseline first…`);
const baseline = measure('stock-cpu', 1, 8, 2);
if ('error' in baseline) throw new Error(`the stock baseline failed: ${baseline.error}`);
// [variant, threads, timed steps]: the JavaScript cpu backend gets fewer steps, being slow.
const plan: [string, number, number][] = [
  ['cpu', 1, Math.min(steps, 3)],
  ['wasm', 1, steps],
  ...(cores > 1 ? ([['wasm', cores, steps]] as [string, number, number][]) : []),
  ['tensorflow', 1, steps],
];
const results = [baseline, ...plan.map(([variant, threads, variantSteps]) => measure(variant, threads, 64, variantSteps))];

const rows = results.map((r) =>
  'error' in r
    ? { name: r.variant, samplesPerSecond: null, ratio: null, note: `not available: ${r.error}` }
    : { name: label(r), samplesPerSecond: r.samplesPerSecond, ratio: r.samplesPerSecond / baseline.samplesPerSecond, note: `${r.engine}, batch ${r.batch}, ${r.steps} timed steps` },
);
if (values.json) {
  console.log(JSON.stringify({ benchmark: 'train', model: 'mnist', cores, baseline: 'stock-cpu', results: rows }));
} else {
  for (const row of rows) {
    const rate = row.samplesPerSecond === null ? '—' : `${row.samplesPerSecond.toFixed(1)} samples/s`;
    const ratio = row.ratio === null ? '' : `${row.ratio.toFixed(1)}x stock`;
    log(`${row.name.padEnd(22)} ${rate.padStart(18)} ${ratio.padStart(12)}   ${row.note}`);
  }
}
