/**
 * TensorFlow.js backends for training: choosing one (`selectBackend`,
 * JVAE_BACKEND) and the kernels that let the wasm backend train conv nets
 * fast (`registerJvaeKernels`, which `selectBackend` calls).
 *
 * Gradients: the Node build of tfjs-core registers no gradient functions;
 * importing @tensorflow/tfjs-layers does (it registers all of them).
 */
export { registerJvaeKernels } from './jvae-kernels.js';
export { selectBackend } from './select-backend.js';
export type { BackendSelection } from './select-backend.js';
export { BackendSelectionError } from './backend-selection-error.js';
