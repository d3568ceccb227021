export { SweepSpecError } from './sweep-spec-error.js';
export {
  DISTRIBUTIONS,
  SEARCH_METHODS,
  type AshaSpec,
  type BayesSpec,
  type EarlyTerminateSpec,
  type HyperbandSpec,
  type PbtFactorsMutation,
  type PbtMutation,
  type PbtRangeMutation,
  type PbtSpec,
  type PbtValuesMutation,
  type CategoricalParameter,
  type ConstantParameter,
  type Distribution,
  type ParamValue,
  type ParameterSpec,
  type RangeParameter,
  type ReplicaRange,
  type SearchMethod,
  type SweepMetric,
  type SweepSpec,
} from './spec.js';
export { METRIC_GOALS, METRIC_NAMES, compareMetric, isMetricName, type MetricGoal, type MetricName } from './metrics.js';
export { parseSweepSpec, MAX_SPEC_BYTES } from './parse-spec.js';
export { validateSweepSpec } from './validate-spec.js';
export { UNSWEEPABLE_FIELDS } from './train-config.js';
export { expandTrials, planTrial, trialCount, MAX_TRIALS, type TrialPlan } from './expand-trials.js';
export { ashaDecision, ashaRungs, type AshaDecision, type AshaDecisionInput } from './asha.js';
export { trialRungs, type TrialRungs } from './trial-rungs.js';
export {
  hyperbandBracketOf,
  hyperbandBrackets,
  hyperbandRungs,
  type HyperbandBracket,
  type HyperbandSettings,
} from './hyperband.js';
export {
  explore,
  pbtDecision,
  yieldsToPopulation,
  type Exploration,
  type PbtDecision,
  type PbtDecisionInput,
  type PbtMember,
  type PbtStanding,
} from './pbt.js';
export {
  awaitsDonorCheckpoint,
  donorCheckpoint,
  inheritSchedule,
  pbtIntervals,
  planExploit,
  scheduleSegment,
  scheduleSettingPaths,
  type ExploitPlan,
  type LineageEntry,
  type ScheduleSegment,
} from './pbt-schedule.js';
export { bestTrial, placeTrials, rankTrials, type Placed, type RankableTrial } from './rank.js';
export {
  SWEEP_STATES,
  TERMINAL_TRIAL_STATES,
  TRIAL_STATES,
  isTerminalTrialState,
  sweepState,
  type SweepState,
  type TrialCounts,
  type TrialState,
} from './states.js';
export { suggestTpe, type Observation, type TpeOptions } from './search/tpe.js';
export { concurrencyLimit, nextPlans, trialsToCreate, type SeenTrial } from './trial-supply.js';
