import { MAX_TRIAL_PAGE } from '@jvae/protocol';
import type { SweepRecord, SweepStore, TrialRecord } from '@jvae/store';
import { bestTrial, placeTrials, type Placed } from '@jvae/sweep';

export interface PageRequest {
  /** Trials of the ranking to skip. */
  offset: number;
  /** Trials to return; 0 or more than MAX_TRIAL_PAGE = MAX_TRIAL_PAGE. */
  limit: number;
}

export interface SweepPage {
  sweep: SweepRecord;
  /** The sweep's best trial over all pages; null while none has a metric. */
  bestTrialId: string | null;
  /** The page of the ranking, each trial with its place. */
  trials: Placed<TrialRecord>[];
}

/**
 * One page of the sweep's ranking. The ranking reads only each trial's state and metric;
 * whole records are read for the page's trials alone, so a page costs the same in any sweep
 * but for that one light pass.
 */
export async function readSweepPage(store: SweepStore, sweepId: string, request: PageRequest): Promise<SweepPage> {
  const sweep = await store.requireSweep(sweepId);
  const standings = await store.trialStandings(sweepId);
  const limit = request.limit === 0 ? MAX_TRIAL_PAGE : Math.min(request.limit, MAX_TRIAL_PAGE);
  const page = placeTrials(standings, sweep.metric.goal).slice(request.offset, request.offset + limit);
  const records = new Map((await store.getTrialsById(page.map((p) => p.trial.id))).map((t) => [t.id, t]));
  return {
    sweep,
    bestTrialId: bestTrial(standings, sweep.metric.goal)?.id ?? null,
    trials: page.flatMap(({ trial, rank }) => {
      const record = records.get(trial.id);
      return record ? [{ trial: record, rank }] : [];
    }),
  };
}

/** The sweep's best trial id, from the light pass alone; null while none has a metric. */
export async function bestTrialId(store: SweepStore, sweep: SweepRecord): Promise<string | null> {
  return bestTrial(await store.trialStandings(sweep.id), sweep.metric.goal)?.id ?? null;
}
