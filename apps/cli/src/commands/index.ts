/** Every `jvae` command, in the order --help lists them. */
import type { Command } from '../command.js';
import { checkpointsBestCommand } from './checkpoints-best.js';
import { checkpointsFetchCommand } from './checkpoints-fetch.js';
import { dashboardCommand } from './dashboard.js';
import { demoCommand } from './demo.js';
import { evalCommand } from './eval.js';
import { sweepCancelCommand } from './sweep-cancel.js';
import { sweepListCommand } from './sweep-list.js';
import { sweepRetryCommand } from './sweep-retry.js';
import { sweepStatusCommand } from './sweep-status.js';
import { sweepSubmitCommand } from './sweep-submit.js';
import { sweepWatchCommand } from './sweep-watch.js';
import { trainCommand } from './train.js';
import { upCommand } from './up.js';
import { workersListCommand } from './workers-list.js';
import { workersScaleCommand } from './workers-scale.js';

export const commands: Command[] = [
  demoCommand,
  trainCommand,
  evalCommand,
  upCommand,
  sweepSubmitCommand,
  sweepListCommand,
  sweepStatusCommand,
  sweepWatchCommand,
  sweepCancelCommand,
  sweepRetryCommand,
  workersListCommand,
  workersScaleCommand,
  checkpointsBestCommand,
  checkpointsFetchCommand,
  dashboardCommand,
];
