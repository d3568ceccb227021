/** @jvae/artifacts: checkpoint manifests, their rules, and the streams that carry checkpoints to and from the coordinator. */
export { ArtifactError } from './artifact-error.js';
export type { ArtifactErrorReason } from './artifact-error.js';
export { DEFAULT_MANIFEST_LIMITS, checkManifest, checkRelativePath, checkSha256 } from './checkpoint-manifest.js';
export type { CheckpointFile, CheckpointManifest, ManifestLimits } from './checkpoint-manifest.js';
export { NODE_FS } from './checkpoint-fs.js';
export type { CheckpointFs } from './checkpoint-fs.js';
export { CHUNK_BYTES, checkpointChunks, listCheckpointFiles, sendCheckpoint } from './checkpoint-chunks.js';
export type { OutgoingChunk } from './checkpoint-chunks.js';
export { receiveCheckpoint } from './receive-checkpoint.js';
export type { ChunkInput, ReceivedCheckpoint, ReceiveOptions } from './receive-checkpoint.js';
export { downloadCheckpoint } from './download-checkpoint.js';
export type { DownloadOptions, DownloadRequest } from './download-checkpoint.js';
