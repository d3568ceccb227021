/** @jvae/coordinator: the sweep coordinator (gRPC API, HTTP dashboard, scheduling, artifact store). */
export { startCoordinator } from './coordinator.js';
export type { CoordinatorOptions, RunningCoordinator } from './coordinator.js';
export { MAX_LOCAL_WORKERS } from './coordinator-service.js';
