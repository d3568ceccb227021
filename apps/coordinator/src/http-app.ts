import { readFileSync } from 'node:fs';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Redis } from 'ioredis';
import type { TrialQueue } from '@jvae/orchestration';
import { InvalidIdError } from '@jvae/protocol';
import { NotFoundError, type SweepStore, type WorkerRegistry } from '@jvae/store';
import type { CoordinatorMetrics } from './coordinator-metrics.js';
import { requireToken } from './http-auth.js';
import { HttpError } from './http-error.js';
import { poolDemand } from './pool-demand.js';
import { readSweepPage } from './sweep-page.js';
import { withRanks } from './worker-ranks.js';
import type { TrialTraversals } from './traversals/trial-traversals.js';

/** Points of each trial's series sent to the dashboard (the most recent ones). */
const SERIES_POINTS = 2000;

const DASHBOARD = readFileSync(new URL('./dashboard.html', import.meta.url), 'utf8');

export interface HttpAppDeps {
  store: SweepStore;
  registry: WorkerRegistry;
  queue: TrialQueue;
  metrics: CoordinatorMetrics;
  traversals: TrialTraversals;
  redis: Redis;
  token?: string;
  log: (line: string) => void;
}

/**
 * The coordinator's HTTP side: `/` dashboard (one static page), `/api/*` JSON, `/queues`
 * bull-board, `/metrics` Prometheus, `/healthz`. `/api` and `/queues` need the token when one
 * is set; the dashboard page passes its `?token=` on to the API.
 */
export function createHttpApp(deps: HttpAppDeps): express.Express {
  const { store, registry } = deps;
  const app = express();
  app.disable('x-powered-by');
  const auth = requireToken(deps.token);

  app.get('/', (_req, res) => {
    res.type('html').send(DASHBOARD);
  });

  app.get('/healthz', async (_req, res) => {
    try {
      await deps.redis.ping();
      res.json({ ok: true });
    } catch (error) {
      res.status(503).json({ ok: false, error: `redis: ${(error as Error).message}` });
    }
  });

  app.get('/metrics', async (_req, res, next) => {
    try {
      res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
    } catch (error) {
      next(error);
    }
  });

  app.use('/api', auth);
  app.get('/api/sweeps', async (_req, res, next) => {
    try {
      res.json({ sweeps: (await store.listSweeps()).map(({ spec: _spec, ...sweep }) => sweep) });
    } catch (error) {
      next(error);
    }
  });

  app.get('/api/sweeps/:id', async (req, res, next) => {
    try {
      const page = await readSweepPage(store, req.params.id!, {
        offset: queryCount(req, 'offset'),
        limit: queryCount(req, 'limit'),
      });
      const trials = await Promise.all(
        page.trials.map(async ({ trial: { config: _config, ...trial }, rank }) => ({
          ...trial,
          rank,
          series: await store.getMetrics(trial.id, -SERIES_POINTS),
        })),
      );
      const { spec: _spec, ...sweep } = page.sweep;
      // PBT: what the best trial trained with, whichever page it is on.
      const best = page.bestTrialId ? await store.getTrial(page.bestTrialId) : null;
      res.json({ ...sweep, bestTrialId: page.bestTrialId, bestSchedule: best?.schedule ?? [], total: sweep.trialCount, trials });
    } catch (error) {
      next(error);
    }
  });

  app.get('/api/trials/:id/traversals', async (req, res, next) => {
    try {
      res.json(await deps.traversals.forTrial(req.params.id!));
    } catch (error) {
      next(error);
    }
  });

  app.get('/api/scaling', async (_req, res, next) => {
    try {
      res.json(await poolDemand(store));
    } catch (error) {
      next(error);
    }
  });

  app.get('/api/workers', async (_req, res, next) => {
    try {
      res.json({ workers: await withRanks(store, await registry.list()) });
    } catch (error) {
      next(error);
    }
  });

  const board = new ExpressAdapter();
  board.setBasePath('/queues');
  // @bull-board/express ships its own copy of @bull-board/api, whose types differ only nominally.
  const serverAdapter = board as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'];
  createBullBoard({ queues: [new BullMQAdapter(deps.queue.queue)], serverAdapter });
  app.use('/queues', auth, board.getRouter());

  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof HttpError) return void res.status(error.status).json({ error: error.message });
    if (error instanceof NotFoundError) return void res.status(404).json({ error: error.message });
    if (error instanceof InvalidIdError) return void res.status(400).json({ error: error.message });
    deps.log(`http: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    res.status(500).json({ error: 'internal error' });
  });
  return app;
}

/** A paging query parameter: absent = 0, else a non-negative integer; anything else is a 400 naming it. */
function queryCount(req: Request, name: string): number {
  const raw = req.query[name];
  if (raw === undefined) return 0;
  if (typeof raw !== 'string' || !/^\d{1,9}$/.test(raw)) {
    throw new HttpError(400, `${name}: must be a non-negative integer (got ${JSON.stringify(raw)})`);
  }
  return Number(raw);
}
