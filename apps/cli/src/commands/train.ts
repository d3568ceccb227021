/** `jvae train`: one process, no Redis: trains, evaluates, writes a checkpoint. */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { BACKEND_REQUESTS, MAX_THREADS, PRESETS, resolveTrainConfig } from '@jvae/model/config';
import type { EvalMetrics } from '@jvae/train';
import { UsageError, type Command } from '../command.js';
import { booleanFlag, integerFlag, stringFlag } from '../flags.js';
import { formatDuration, ProgressBar } from '../progress-bar.js';
import { formatEvalLine, formatMetrics } from '../format.js';

export const trainCommand: Command = {
  path: ['train'],
  summary: 'Train one Joint VAE in this process (no Redis), evaluate it and write a checkpoint',
  details: [
    'The config is the preset, then --config FILE, then the flags. A config file is YAML or JSON with',
    'the fields of a preset (see README), e.g. {preset: mnist, steps: 5000, capacity: {discrete: {max: 2.3}}}.',
    `Presets: ${Object.keys(PRESETS).join(', ')}.`,
  ].join('\n'),
  options: {
    preset: { type: 'string', valueName: 'NAME', description: `Start from a preset (${Object.keys(PRESETS).join(', ')}; default mnist)` },
    config: { type: 'string', valueName: 'FILE', description: 'YAML or JSON train config' },
    data: { type: 'string', valueName: 'REF', description: 'Dataset: mnist-sample, idx:DIR, dsprites:FILE.npz, shapes' },
    steps: { type: 'string', valueName: 'N', description: 'Global optimizer steps to train to' },
    'batch-size': { type: 'string', valueName: 'N', description: 'Global batch size' },
    seed: { type: 'string', valueName: 'N', description: 'Seed of weights, noise and data order' },
    threads: { type: 'string', valueName: 'N', description: 'Compute threads (0 = one per core)' },
    backend: { type: 'string', valueName: 'NAME', description: `${BACKEND_REQUESTS.join(' | ')} (default JVAE_BACKEND or auto)` },
    out: { type: 'string', valueName: 'DIR', description: 'Checkpoint directory: new, empty, or a checkpoint to replace (default ./checkpoints/train)' },
    resume: { type: 'string', valueName: 'DIR', description: "Continue from this checkpoint, with its config (--steps, --threads, --data apply)" },
    json: { type: 'boolean', description: 'Print the final metrics as JSON' },
  },
  async run(input) {
    // TensorFlow.js loads only when a command trains, so --help stays instant.
    const [{ loadDataset }, { checkCheckpointTarget, CheckpointTargetError, readCheckpoint, Trainer }] = await Promise.all([
      import('@jvae/data'),
      import('@jvae/train'),
    ]);
    const resumeDir = stringFlag(input, 'resume');
    const ignored = ['preset', 'config'].filter((name) => stringFlag(input, name) !== undefined);
    if (resumeDir && ignored.length > 0) {
      throw new UsageError(
        `--resume continues with the checkpoint's own config, so ${ignored.map((n) => `--${n}`).join(' and ')} ` +
          'would be ignored; leave it out (--steps, --threads and --data still apply)',
      );
    }
    const resumed = resumeDir ? await readCheckpoint(resolve(resumeDir)) : undefined;
    const overrides: Record<string, unknown> = {};
    const setIf = (path: string, value: unknown) => {
      if (value !== undefined) overrides[path] = value;
    };
    setIf('dataset', stringFlag(input, 'data'));
    setIf('steps', integerFlag(input, 'steps', 1));
    setIf('batchSize', integerFlag(input, 'batch-size', 1));
    setIf('seed', integerFlag(input, 'seed', 0));
    setIf('threads', integerFlag(input, 'threads', 0, MAX_THREADS));
    const base = resumed ? resumed.trial.config : await readConfigInput(input.values);
    const config = resolveTrainConfig(base, overrides);
    const out = resolve(stringFlag(input, 'out') ?? 'checkpoints/train');
    const json = booleanFlag(input, 'json');
    const log = json ? console.error : console.log;
    if (resumed && resumed.trial.step === config.steps) {
      log(
        `jvae train: nothing to train: ${resolve(resumeDir!)} is already at step ${config.steps}; ` +
          `no checkpoint written (give --steps above ${config.steps} to train on)`,
      );
      if (json) console.log(JSON.stringify({ checkpoint: null, step: config.steps, metrics: resumed.trial.metrics }));
      return 0;
    }
    // Refused now rather than when the first checkpoint is due, after the training.
    await checkCheckpointTarget(out).catch((err: unknown) => {
      throw err instanceof CheckpointTargetError ? new UsageError(`--out ${err.message}`) : err;
    });

    const dataset = await loadDataset(config.dataset);
    const bar = new ProgressBar(config.steps);
    let last: EvalMetrics | null = null;
    const stop = new AbortController();
    const trainer = await Trainer.open(config, dataset, {
      backend: stringFlag(input, 'backend'),
      resume: resumed,
      checkpointDir: out,
      signal: stop.signal,
      onProgress: (p) => {
        const eta = ((config.steps - p.step) * config.batchSize) / p.samplesPerSecond;
        bar.update(p.step, `loss ${p.loss.toFixed(2)}  ${Math.round(p.samplesPerSecond)} samples/s  ETA ${formatDuration(eta)}`);
      },
      onEval: (m) => {
        last = m;
        if (m.step < config.steps) bar.note(formatEvalLine(m));
      },
    });
    log(
      `jvae train: ${config.preset ?? 'custom'} (${config.formulation}) on ${dataset.ref}, ` +
        `${config.steps} steps of ${config.batchSize}, backend ${trainer.backend.name} (${trainer.backend.engine}), ` +
        `${trainer.threads} thread(s)${resumed ? `, resuming at step ${resumed.trial.step}` : ''}`,
    );
    const started = Date.now();
    const onSignal = () => stop.abort(new Error('interrupted'));
    process.once('SIGINT', onSignal);
    try {
      await trainer.run();
    } finally {
      process.off('SIGINT', onSignal);
      bar.finish();
      await trainer.close();
    }
    if (json) {
      console.log(JSON.stringify({ checkpoint: out, metrics: last }));
    } else {
      if (last) console.log(formatMetrics(last));
      console.log(`checkpoint: ${out} (${formatDuration((Date.now() - started) / 1000)})`);
    }
    return 0;
  },
};

async function readConfigInput(values: Record<string, unknown>): Promise<Record<string, unknown>> {
  const preset = typeof values.preset === 'string' ? values.preset : undefined;
  const file = typeof values.config === 'string' ? values.config : undefined;
  let fromFile: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new UsageError(`--config ${file}: ${(err as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(text);
    } catch (err) {
      throw new UsageError(`--config ${file}: not valid YAML or JSON: ${(err as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new UsageError(`--config ${file}: expected a mapping of config fields`);
    }
    fromFile = parsed as Record<string, unknown>;
  }
  return preset ? { ...fromFile, preset } : fromFile;
}
