export { chunkBounds, ringSchedule } from './ring-schedule.js';
export type { ChunkBounds, RingPhase, RingRound, RingSchedule } from './ring-schedule.js';
export { GradSyncServer } from './gradsync-server.js';
export type { GradSyncServerOptions } from './gradsync-server.js';
export { RingMember } from './ring-member.js';
export type { RingMemberOptions } from './ring-member.js';
export { RingError } from './ring-error.js';
export type { RingErrorReason } from './ring-error.js';
export type { ReducibleArray } from './payload.js';
