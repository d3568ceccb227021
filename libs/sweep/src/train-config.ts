import { ConfigError, resolveTrainConfig, type TrainConfig } from '@jvae/model/config';
import { SweepSpecError } from './sweep-spec-error.js';

/** How a sweep spec's `train`, `dataset` and parameters become a trial's train config. */

/** Train config fields a sweep cannot vary, and why. */
export const UNSWEEPABLE_FIELDS: Readonly<Record<string, string>> = {
  preset: 'choose the preset in train.preset',
  dataset: 'choose the dataset in dataset.name',
  seed: 'trial seeds are derived from the top-level seed',
  threads: 'compute threads are a worker setting, not a hyperparameter',
  evalEvery: 'every trial must be evaluated at the same steps to be compared; set it in train',
  checkpointEvery: 'a checkpoint cadence is not a hyperparameter; set it in train',
};

/** The input for resolveTrainConfig: `train` with the spec's dataset, if it names one. */
export function trainInput(train: Record<string, unknown>, datasetName: string | undefined): Record<string, unknown> {
  return datasetName === undefined ? { ...train } : { ...train, dataset: datasetName };
}

/** Resolves a train config, turning a ConfigError into the SweepSpecError that `explain` makes of it. */
export function resolveOrExplain(
  input: Record<string, unknown>,
  overrides: Record<string, unknown>,
  explain: (error: ConfigError) => SweepSpecError,
): TrainConfig {
  try {
    return resolveTrainConfig(input, overrides);
  } catch (err) {
    if (err instanceof ConfigError) throw explain(err);
    throw err;
  }
}
